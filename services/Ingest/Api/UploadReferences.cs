using FacePipeline.Contracts;
using FacePipeline.Orchestration.Batches;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// A single job's clips named by upload instead of sent: the form fields <c>clip</c>, <c>source</c> or <c>target</c>
/// with the value <c>upload:&lt;id&gt;</c> (a completed upload of the studio, <c>/v1/uploads</c>, docs/uploads.md) stand
/// for the file part of that name. Each is copied under the job's own prefix (as a batch's shots are), so the job keeps
/// its input when the upload is swept, and its deletion never touches the upload.
/// </summary>
public static class UploadReferences
{
    /// <summary>The parts a job's clip may be named in.</summary>
    public static readonly IReadOnlyList<string> Roles = ["clip", ClipNames.Source, ClipNames.Target];

    /// <summary>
    /// The submission with every <c>upload:&lt;id&gt;</c> field turned into the job's own copy of that upload (a clip of
    /// that part, the field gone), or the problem.
    /// </summary>
    public static async Task<(ClipUploadResult? Upload, string? Problem)> Resolve(
        ClipUploadResult upload, Guid tenantId, Guid jobId, JobsDbContext db, MediaStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var named = upload.Fields.Where(f => Roles.Contains(f.Key, StringComparer.OrdinalIgnoreCase)).ToList();
        if (named.Count == 0)
        {
            return (upload, null);
        }

        var fields = new Dictionary<string, string>(upload.Fields, StringComparer.OrdinalIgnoreCase);
        var clips = upload.Clips.ToList();
        var now = clock.GetUtcNow();
        foreach (var (field, value) in named)
        {
            var role = field.ToLowerInvariant();
            if (clips.Any(c => c.Part == role))
            {
                return (null, $"The {role} is sent twice, as a file and as {ApiProblems.Quote(value)}: send one.");
            }

            if (BatchManifest.UploadId(value) is not { } uploadId)
            {
                return (null, $"The field '{role}' names an upload as upload:<id> (got {ApiProblems.Quote(value)}); to send the file itself, add it as a file part named '{role}'.");
            }

            var stored = await db.Uploads.AsNoTracking().SingleOrDefaultAsync(u => u.Id == uploadId && u.TenantId == tenantId, cancellationToken);
            if (stored is null || stored.CompletedAt is null || stored.ExpiresAt <= now)
            {
                return (null, $"{role} names upload {uploadId}, which is not a completed upload of your studio{(stored is { CompletedAt: not null } ? " any more (it expired)" : string.Empty)}: finish it (PATCH /v1/uploads/{uploadId}) or send the file in the request.");
            }

            var key = JobInputCopies.Copy(store, stored.Key, jobId, role == "clip" ? ClipNames.Source : role);
            clips.Add(new UploadedClip(role, stored.FileName, key, stored.Length ?? stored.Offset));
            fields.Remove(field);
        }

        return (new ClipUploadResult(fields, clips), null);
    }
}
