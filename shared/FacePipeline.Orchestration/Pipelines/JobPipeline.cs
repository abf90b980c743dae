using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines;

/// <summary>An output a job kind produces: its name (the download's file name), content type and what it is.</summary>
/// <param name="Always">False: only on request or when the service can (e.g. result.mov, the blendshape curves).</param>
public sealed record OutputSpec(string Name, string ContentType, string Description, bool Always = true);

/// <summary>
/// A job kind's pipeline: its steps in order and its outputs. The coordinator's dispatch, the job's transitions, a new
/// job's stage list and the API's stage view all come from here (see <see cref="JobPipelines"/> for the kinds).
/// </summary>
public sealed class JobPipeline
{
    public JobPipeline(string kind, string summary, IReadOnlyList<PipelineStep> steps, IReadOnlyList<OutputSpec> outputs, Func<Job, object?>? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        if (steps.Count == 0)
        {
            throw new ArgumentException($"Job kind '{kind}' has no steps.", nameof(steps));
        }

        Require(steps.Select(s => s.Name), "stage name");
        Require(steps.Select(s => s.RunningState.ToString()), "running state");
        Require(steps.SelectMany(s => s.Commands.Concat(s.Completions)).Concat(steps.Select(s => s.Progress).OfType<Type>()).Select(t => t.FullName!), "message type");
        Require(outputs.Select(o => o.Name), "output");
        if (steps.Any(s => JobStates.IsTerminal(s.RunningState)))
        {
            throw new ArgumentException($"Job kind '{kind}': a step cannot run in a terminal state.", nameof(steps));
        }

        Kind = kind;
        Summary = summary;
        Steps = steps;
        Outputs = outputs;
        _settings = settings;

        void Require(IEnumerable<string> names, string what)
        {
            var twice = names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (twice.Count > 0)
            {
                throw new ArgumentException($"Job kind '{kind}' declares the {what} {string.Join(", ", twice)} more than once.");
            }
        }
    }

    private readonly Func<Job, object?>? _settings;

    public string Kind { get; }

    /// <summary>One line on what the kind takes and gives.</summary>
    public string Summary { get; }

    public IReadOnlyList<PipelineStep> Steps { get; }

    public IReadOnlyList<OutputSpec> Outputs { get; }

    /// <summary>The state a new job starts in: its first step's.</summary>
    public JobState InitialState => Steps[0].RunningState;

    /// <summary>The job's settings as the API shows them (null: the kind has none).</summary>
    public object? Settings(Job job) => _settings?.Invoke(job);

    public OutputSpec Output(string name) =>
        Outputs.FirstOrDefault(o => o.Name == name) ?? throw new InvalidOperationException($"Job kind '{Kind}' declares no output '{name}'.");

    /// <summary>The step that is current while the job is in <paramref name="state"/>, if any.</summary>
    public PipelineStep? StepRunningIn(JobState state) => Steps.FirstOrDefault(s => s.RunningState == state);

    /// <summary>The step that <paramref name="eventType"/> reports (as its completion or progress), if any.</summary>
    public PipelineStep? StepReportedBy(Type eventType) => Steps.FirstOrDefault(s => s.Completions.Contains(eventType) || s.Progress == eventType);

    public PipelineStep? Step(string name) => Steps.FirstOrDefault(s => s.Name == name);

    /// <summary>The step after <paramref name="step"/>; null after the last.</summary>
    public PipelineStep? After(PipelineStep step)
    {
        var index = IndexOf(step);
        return index + 1 < Steps.Count ? Steps[index + 1] : null;
    }

    /// <summary>Whether <paramref name="step"/> comes after <paramref name="other"/>.</summary>
    public bool IsAfter(PipelineStep step, PipelineStep other) => IndexOf(step) > IndexOf(other);

    /// <summary>A new job's stage rows: the first running from <paramref name="now"/>, the others pending.</summary>
    public List<JobStage> NewStages(Guid jobId, DateTimeOffset now) =>
        [.. Steps.Select((step, order) => order == 0
            ? new JobStage { JobId = jobId, Name = step.Name, Order = order, State = StageState.Running, StartedAt = now }
            : new JobStage { JobId = jobId, Name = step.Name, Order = order, State = StageState.Pending })];

    /// <summary>"extract → reconstruct → render".</summary>
    public override string ToString() => $"{Kind} = {string.Join(" → ", Steps.Select(s => s.Name))}";

    private int IndexOf(PipelineStep step)
    {
        for (var i = 0; i < Steps.Count; i++)
        {
            if (ReferenceEquals(Steps[i], step))
            {
                return i;
            }
        }

        throw new ArgumentException($"Step '{step.Name}' is not in job kind '{Kind}'.", nameof(step));
    }
}
