using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Retention;

/// <summary>
/// What of the media store belongs to what, for deleting it: a job owns everything under <c>jobs/&lt;id&gt;/</c> (its
/// inputs, working data and outputs), an actor everything under <c>actors/&lt;id&gt;/</c> (its models). Keys a job only
/// borrows (a retarget onto an actor reads the training job's upload, timeline and face records by reference) are never its own.
/// </summary>
public static class RetentionKeys
{
    /// <summary>Everything a job keeps in the media store.</summary>
    public static string JobPrefix(Guid jobId) => MediaKeys.JobPrefix(jobId);

    /// <summary>Everything an actor's model versions keep (generators, checkpoints, previews).</summary>
    public static string ActorPrefix(Guid actorId) => $"actors/{actorId:N}";

    /// <summary>
    /// A job's working data: what extraction measured of its clips (<c>clips/</c>: timeline, audio, staging folders) and its
    /// face records (<c>faces/</c>: per chunk, and each clip's 3D face sequence), and output segments not joined yet (<c>segments/</c>). Nothing reads them once the job has
    /// ended: the outputs (<c>tracking.json</c>, <c>tracking.fptk</c>, curves, results) are separate files under
    /// <c>outputs/</c>, and the inputs stay under <c>input/</c>.
    /// </summary>
    public static IReadOnlyList<string> WorkingData(Guid jobId) => [$"{JobPrefix(jobId)}/clips", $"{JobPrefix(jobId)}/faces", $"{JobPrefix(jobId)}/segments"];

    /// <summary>
    /// Whether a job's media is an actor's footage (a train-actor job: its uploads, timelines, face records and sequences are what
    /// retargets onto the actor read), which stays as long as the actor instead of following the job's retention.
    /// </summary>
    public static bool IsActorFootage(string kind) => kind == JobKinds.TrainActor;

    /// <summary>The prefix a deletion record's counts are about.</summary>
    public static string PrefixOf(Deletion deletion)
    {
        ArgumentNullException.ThrowIfNull(deletion);
        return deletion.Subject == DeletionSubjects.Actor ? ActorPrefix(deletion.SubjectId) : JobPrefix(deletion.SubjectId);
    }
}
