using System.Globalization;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ops;

/// <summary>
/// facepipe-ops studio show|set: a studio's fair-share weight and its own caps (docs/batches.md, "Quotas"). A cap set to
/// 'default' follows <c>Scheduling:Quotas</c> again. The job store is <c>ConnectionStrings__Jobs</c>, as the services'.
/// </summary>
public static class StudioCapsCommand
{
    public const string Usage = "studio show <name|id> | studio set <name|id> [--weight 1-1000] [--max-running 1-10000|default] [--max-queued 0-1000000|default] [--max-stored-bytes N|default]";

    public static async Task<int> Run(string connectionString, string[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        await using var db = new JobsDbContext(new DbContextOptionsBuilder<JobsDbContext>().UseNpgsql(connectionString).Options);
        if (args is not [var verb, var who, .. var options] || verb is not ("show" or "set") || (verb == "show" && options.Length > 0))
        {
            await Console.Error.WriteLineAsync($"usage: facepipe-ops {Usage}");
            return 2;
        }

        // The options are checked before the job store is asked (on a throwaway row): a typo costs no connection.
        if (verb == "set" && Apply(new Tenant { Name = who, ApiKeyHash = [] }, options) is { } wrong)
        {
            await Console.Error.WriteLineAsync(wrong);
            return 2;
        }

        var tenant = await (Guid.TryParse(who, out var id) ? db.Tenants.SingleOrDefaultAsync(t => t.Id == id, cancellationToken) : db.Tenants.SingleOrDefaultAsync(t => t.Name == who, cancellationToken));
        if (tenant is null)
        {
            await Console.Error.WriteLineAsync($"No studio named or with the id '{who}' (facepipe tenant create <name> makes one).");
            return 1;
        }

        if (verb == "set")
        {
            Apply(tenant, options);
            await db.SaveChangesAsync(cancellationToken);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"studio {tenant.Id} ({tenant.Name}): weight {tenant.Weight}, max running {Cap(tenant.MaxRunningJobs)}, max queued {Cap(tenant.MaxQueuedJobs)}, max stored bytes {Cap(tenant.MaxStoredBytes)}, queue {(tenant.QueuePaused ? "paused" : "running")}"));
        return 0;
    }

    /// <summary>Sets what <paramref name="options"/> name on the studio; the problem (an option unknown, a value out of range) or null.</summary>
    public static string? Apply(Tenant tenant, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Count == 0 || options.Count % 2 != 0)
        {
            return $"usage: facepipe-ops {Usage}";
        }

        for (var i = 0; i < options.Count; i += 2)
        {
            var (option, text) = (options[i], options[i + 1]);
            var isDefault = text.Equals("default", StringComparison.OrdinalIgnoreCase);
            long? value = isDefault ? null : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
            switch (option)
            {
                case "--weight" when value is >= 1 and <= 1000:
                    tenant.Weight = (int)value.Value;
                    break;
                case "--max-running" when isDefault || value is >= 1 and <= 10_000:
                    tenant.MaxRunningJobs = (int?)value;
                    break;
                case "--max-queued" when isDefault || value is >= 0 and <= 1_000_000:
                    tenant.MaxQueuedJobs = (int?)value;
                    break;
                case "--max-stored-bytes" when isDefault || value >= 0:
                    tenant.MaxStoredBytes = value;
                    break;
                case "--weight" or "--max-running" or "--max-queued" or "--max-stored-bytes":
                    return $"{option} {text} is out of range: {Usage}.";
                default:
                    return $"Unknown option '{option}': {Usage}.";
            }
        }

        return null;
    }

    private static string Cap(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "default (Scheduling:Quotas)";
}
