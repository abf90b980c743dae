using FacePipeline.Contracts;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// The scheduler on the real PostgreSQL: jobs wait queued and start by its rules, their commands carry their broker
/// priority, and concurrent rounds never start more than the caps allow. A fresh database per test: the caps count
/// every running job.
/// </summary>
public sealed class JobSchedulerTests : IAsyncLifetime
{
    private TestDatabase? _database;
    private IDbContextFactory<JobsDbContext> _db = null!;
    private Guid _studioA;
    private Guid _studioB;
    private readonly OutboxSignal _signal = new();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("sched");
        _db = new PooledDbContextFactory<JobsDbContext>(new DbContextOptionsBuilder<JobsDbContext>().UseNpgsql(_database.ConnectionString).Options);
        await using var db = await _db.CreateDbContextAsync();
        await db.MigrateAsync();
        _studioA = (await TenantKeys.CreateTenantAsync(db, "studio A", TimeProvider.System, default)).Tenant.Id;
        _studioB = (await TenantKeys.CreateTenantAsync(db, "studio B", TimeProvider.System, default)).Tenant.Id;
    }

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    private JobCoordinator Coordinator => new(_db, Pipelines.JobPipelines.Default, _signal, TimeProvider.System, NullLogger<JobCoordinator>.Instance);

    private JobScheduler Scheduler(int maxRunning) =>
        new(_db, Coordinator, Options.Create(new SchedulingOptions { MaxRunningJobs = maxRunning }), TimeProvider.System, NullLogger<JobScheduler>.Instance);

    private async Task<Guid> Submit(Guid studio, JobPriorityClass cls, Guid? batchId = null, int shot = 0)
    {
        var jobId = Guid.NewGuid();
        await using var db = await _db.CreateDbContextAsync();
        await new JobSubmission(Pipelines.JobPipelines.Default, _signal, TimeProvider.System).SubmitTrackJob(
            db, jobId, studio, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, 64, CancellationToken.None,
            placement: new JobPlacement(cls, BatchId: batchId, ShotName: batchId is null ? null : $"sh{shot}", ShotIndex: batchId is null ? null : shot));
        return jobId;
    }

    private async Task<Guid> NewBatch(Guid studio, int shots)
    {
        await using var db = await _db.CreateDbContextAsync();
        var batch = new Batch { Id = Guid.NewGuid(), TenantId = studio, ShotCount = shots, CreatedAt = DateTimeOffset.UtcNow };
        db.Batches.Add(batch);
        await db.SaveChangesAsync();
        return batch.Id;
    }

    private async Task<Job> Job(Guid id)
    {
        await using var db = await _db.CreateDbContextAsync();
        return await db.Jobs.AsNoTracking().Include(j => j.Stages).SingleAsync(j => j.Id == id);
    }

    private async Task<List<OutboxMessage>> Commands(Guid jobId)
    {
        await using var db = await _db.CreateDbContextAsync();
        var rows = await db.Outbox.AsNoTracking().Where(m => m.MessageType == typeof(ExtractFrames).FullName).ToListAsync();
        return [.. rows.Where(r => r.Body.Contains(jobId.ToString(), StringComparison.OrdinalIgnoreCase))];
    }

    private async Task<List<string>> Events(Guid jobId)
    {
        await using var db = await _db.CreateDbContextAsync();
        return await db.JobEvents.Where(e => e.JobId == jobId).OrderBy(e => e.Id).Select(e => e.Type).ToListAsync();
    }

    [Fact]
    public async Task An_overnight_job_waits_queued_with_nothing_sent_until_a_round_starts_it()
    {
        var id = await Submit(_studioA, JobPriorityClass.Overnight);

        var queued = await Job(id);
        Assert.Equal(JobState.Queued, queued.State);
        Assert.All(queued.Stages, s => Assert.Equal(StageState.Pending, s.State));
        Assert.Empty(await Commands(id));

        Assert.Equal([id], await Scheduler(4).StartQueuedJobs(default));

        var started = await Job(id);
        Assert.Equal(JobState.Extracting, started.State);
        Assert.NotNull(started.StartedAt);
        Assert.Equal(BrokerPriorityOvernight, Assert.Single(await Commands(id)).Priority);
        Assert.Equal([JobEventTypes.JobQueued, JobEventTypes.JobStarted], await Events(id));
    }

    private const byte BrokerPriorityOvernight = FacePipeline.ServiceDefaults.BrokerPriority.Overnight;

    [Fact]
    public async Task An_interactive_job_starts_at_submission_with_the_higher_broker_priority_while_overnight_slots_are_full()
    {
        var overnight = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            overnight.Add(await Submit(_studioA, JobPriorityClass.Overnight));
        }

        Assert.Equal(2, (await Scheduler(2).StartQueuedJobs(default)).Count);

        var interactive = await Submit(_studioA, JobPriorityClass.Interactive);

        Assert.Equal(JobState.Extracting, (await Job(interactive)).State);
        var command = Assert.Single(await Commands(interactive));
        Assert.Equal(FacePipeline.ServiceDefaults.BrokerPriority.Interactive, command.Priority);
        Assert.True(command.Priority > BrokerPriorityOvernight);
        Assert.Equal([JobEventTypes.JobStarted], await Events(interactive));
    }

    [Fact]
    public async Task Two_studios_with_queued_work_get_one_slot_each_however_long_the_first_queue_is()
    {
        for (var i = 0; i < 10; i++)
        {
            await Submit(_studioA, JobPriorityClass.Overnight);
        }

        var small = await Submit(_studioB, JobPriorityClass.Overnight);

        var started = await Scheduler(2).StartQueuedJobs(default);

        Assert.Equal(2, started.Count);
        Assert.Contains(small, started);
    }

    [Fact]
    public async Task Concurrent_rounds_never_start_more_jobs_than_the_slots()
    {
        for (var i = 0; i < 12; i++)
        {
            await Submit(_studioA, JobPriorityClass.Overnight);
        }

        var rounds = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Scheduler(3).StartQueuedJobs(default))));

        Assert.Equal(3, rounds.Sum(r => r.Count));
        await using var db = await _db.CreateDbContextAsync();
        Assert.Equal(3, await db.Jobs.CountAsync(j => j.State == JobState.Extracting));
        Assert.Equal(9, await db.Jobs.CountAsync(j => j.State == JobState.Queued));
    }

    [Fact]
    public async Task A_cancelled_queued_job_never_starts_and_a_job_that_ends_frees_its_slot()
    {
        var first = await Submit(_studioA, JobPriorityClass.Overnight);
        var second = await Submit(_studioA, JobPriorityClass.Overnight);
        var third = await Submit(_studioA, JobPriorityClass.Overnight);
        Assert.True(await Coordinator.Cancel(second, default));

        Assert.Equal([first], await Scheduler(1).StartQueuedJobs(default));
        Assert.Empty(await Scheduler(1).StartQueuedJobs(default));

        Assert.True(await Coordinator.Cancel(first, default));
        Assert.Equal([third], await Scheduler(1).StartQueuedJobs(default));
        Assert.Equal(JobState.Cancelled, (await Job(second)).State);
        Assert.Empty(await Commands(second));
        Assert.Equal([JobEventTypes.JobQueued, JobEventTypes.JobCancelled], await Events(second));
    }

    [Fact]
    public async Task A_batch_being_cancelled_has_none_of_its_queued_shots_started_into_the_slots_its_cancelled_shots_free()
    {
        var batchId = await NewBatch(_studioA, 4);
        var shots = new List<Guid>();
        for (var i = 1; i <= 4; i++)
        {
            shots.Add(await Submit(_studioA, JobPriorityClass.Overnight, batchId, i));
        }

        Assert.Equal(2, (await Scheduler(2).StartQueuedJobs(default)).Count);
        await using (var db = await _db.CreateDbContextAsync())
        {
            await db.Batches.Where(b => b.Id == batchId).ExecuteUpdateAsync(s => s.SetProperty(b => b.CancelledAt, DateTimeOffset.UtcNow));
        }

        Assert.True(await Coordinator.Cancel(shots[0], default)); // a running shot cancelled: its slot is free
        Assert.Empty(await Scheduler(2).StartQueuedJobs(default));
        Assert.Equal(JobState.Queued, (await Job(shots[2])).State);
    }

    [Fact]
    public async Task A_paused_studio_queue_starts_nothing_until_it_resumes()
    {
        await using (var db = await _db.CreateDbContextAsync())
        {
            await db.Tenants.Where(t => t.Id == _studioA).ExecuteUpdateAsync(s => s.SetProperty(t => t.QueuePaused, true));
        }

        var interactive = await Submit(_studioA, JobPriorityClass.Interactive);
        var overnight = await Submit(_studioA, JobPriorityClass.Overnight);
        Assert.Equal(JobState.Queued, (await Job(interactive)).State);
        Assert.Empty(await Scheduler(4).StartQueuedJobs(default));

        await using (var db = await _db.CreateDbContextAsync())
        {
            await db.Tenants.Where(t => t.Id == _studioA).ExecuteUpdateAsync(s => s.SetProperty(t => t.QueuePaused, false));
        }

        var started = await Scheduler(4).StartQueuedJobs(default);
        Assert.Equal([interactive, overnight], started);
    }
}
