using System.Security.Cryptography;
using System.Text;

namespace FacePipeline.Persistence;

/// <summary>
/// API keys: 256 random bits shown once, stored only as their SHA-256 hash. A key this long needs
/// no salt or slow hash: it cannot be guessed, only stolen, and the hash alone is useless.
/// </summary>
public static class TenantKeys
{
    private const string Prefix = "fp_";

    public static string NewKey() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string apiKey) => SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    /// <summary>Creates a tenant and returns it with its key (the only time the key exists in clear).</summary>
    public static async Task<(Tenant Tenant, string ApiKey)> CreateTenantAsync(JobsDbContext db, string name, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = NewKey();
        var tenant = new Tenant { Id = Guid.NewGuid(), Name = name.Trim(), ApiKeyHash = Hash(key), CreatedAt = clock.GetUtcNow() };
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync(cancellationToken);
        return (tenant, key);
    }
}
