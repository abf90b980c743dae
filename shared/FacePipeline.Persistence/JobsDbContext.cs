using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Persistence;

/// <summary>Job state: tenants, jobs with stages, chunks and outputs, actors, the outbox, and the deletion records.</summary>
public sealed class JobsDbContext(DbContextOptions<JobsDbContext> options) : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobStage> JobStages => Set<JobStage>();
    public DbSet<JobClip> JobClips => Set<JobClip>();
    public DbSet<JobChunk> JobChunks => Set<JobChunk>();
    public DbSet<JobSegment> JobSegments => Set<JobSegment>();
    public DbSet<JobOutput> JobOutputs => Set<JobOutput>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<Actor> Actors => Set<Actor>();
    public DbSet<ActorModel> ActorModels => Set<ActorModel>();
    public DbSet<Deletion> Deletions => Set<Deletion>();
    public DbSet<Batch> Batches => Set<Batch>();
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<Upload> Uploads => Set<Upload>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Tenant>(e =>
        {
            e.ToTable("tenants");
            e.HasKey(t => t.Id);
            e.Property(t => t.Name).HasMaxLength(200);
            e.HasIndex(t => t.ApiKeyHash).IsUnique();
            e.Property(t => t.Weight).HasDefaultValue(1);
            e.Property(t => t.WebhookUrl).HasMaxLength(2000);
            e.Property(t => t.WebhookSecret).HasMaxLength(128);
        });

        modelBuilder.Entity<Batch>(e =>
        {
            e.ToTable("batches");
            e.HasKey(b => b.Id);
            e.Property(b => b.Name).HasMaxLength(200);
            e.Property(b => b.PriorityClass).HasConversion<string>().HasMaxLength(16);
            e.Property(b => b.State).HasConversion<string>().HasMaxLength(16);
            e.Property(b => b.Version).IsRowVersion();
            e.HasIndex(b => new { b.TenantId, b.CreatedAt });
            e.HasOne<Tenant>().WithMany().HasForeignKey(b => b.TenantId);
        });

        modelBuilder.Entity<JobEvent>(e =>
        {
            e.ToTable("job_events");
            e.HasKey(v => v.Id);
            e.Property(v => v.Id).UseIdentityAlwaysColumn();
            e.Property(v => v.Type).HasMaxLength(32);
            e.Property(v => v.Data).HasColumnType("jsonb");
            e.HasIndex(v => new { v.JobId, v.Id }); // a job's stream, from Last-Event-ID
            e.HasIndex(v => new { v.BatchId, v.Id }); // a batch's stream
            e.HasIndex(v => v.CreatedAt); // retention
        });

        modelBuilder.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.HasKey(d => d.Id);
            e.Property(d => d.Id).UseIdentityAlwaysColumn();
            e.Property(d => d.EventType).HasMaxLength(32);
            e.Property(d => d.Url).HasMaxLength(2000);
            e.Property(d => d.Payload).HasColumnType("jsonb");
            e.Property(d => d.LastError).HasMaxLength(1000);
            e.HasIndex(d => new { d.TenantId, d.Id }); // the delivery log
            e.HasOne(d => d.Event).WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Cascade);
            // The dispatcher's claim: pending deliveries by due time.
            e.HasIndex(d => d.NextAttemptAt)
                .HasFilter("\"DeliveredAt\" IS NULL AND \"GaveUpAt\" IS NULL")
                .HasDatabaseName("IX_webhook_deliveries_pending");
        });

        modelBuilder.Entity<Upload>(e =>
        {
            e.ToTable("uploads");
            e.HasKey(u => u.Id);
            e.Property(u => u.FileName).HasMaxLength(255);
            e.Property(u => u.Version).IsRowVersion();
            e.HasIndex(u => new { u.TenantId, u.CreatedAt });
            e.HasIndex(u => u.ExpiresAt).HasFilter("\"CompletedAt\" IS NULL").HasDatabaseName("IX_uploads_incomplete");
            e.HasOne<Tenant>().WithMany().HasForeignKey(u => u.TenantId);
        });

        modelBuilder.Entity<Job>(e =>
        {
            e.ToTable("jobs");
            e.HasKey(j => j.Id);
            e.Property(j => j.Kind).HasMaxLength(32);
            e.Property(j => j.State).HasConversion<string>().HasMaxLength(32);
            e.Property(j => j.InputFileName).HasMaxLength(255);
            e.Property(j => j.FrameRate).HasMaxLength(32);
            e.Property(j => j.FailureCorrelationId).HasMaxLength(64);
            e.Property(j => j.Version).IsRowVersion();
            e.HasIndex(j => new { j.TenantId, j.CreatedAt });
            e.HasIndex(j => new { j.State, j.UpdatedAt }); // the watchdog's scan of running jobs
            e.Property(j => j.PriorityClass).HasConversion<string>().HasMaxLength(16);
            e.Property(j => j.ShotName).HasMaxLength(200);
            e.HasIndex(j => new { j.BatchId, j.ShotIndex });
            // The scheduler's scan of queued jobs.
            e.HasIndex(j => new { j.TenantId, j.PriorityClass, j.Priority, j.CreatedAt })
                .HasFilter("\"State\" = 'Queued'")
                .HasDatabaseName("IX_jobs_queued");
            e.HasOne<Tenant>().WithMany().HasForeignKey(j => j.TenantId);
            e.HasMany(j => j.Stages).WithOne().HasForeignKey(s => s.JobId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(j => j.Chunks).WithOne().HasForeignKey(c => c.JobId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(j => j.Clips).WithOne().HasForeignKey(c => c.JobId).OnDelete(DeleteBehavior.Cascade);
            e.Property(j => j.Settings).HasColumnType("jsonb");
            e.HasMany(j => j.Outputs).WithOne().HasForeignKey(o => o.JobId).OnDelete(DeleteBehavior.Cascade);
            e.Ignore(j => j.IsTerminal);
            // No foreign key to actors: a retarget job onto an actor outlives the actor's deletion with its own outputs.
            e.HasIndex(j => j.ActorId);
            // The retention sweeper's scans: ended jobs whose media is still there, oldest first.
            e.HasIndex(j => j.CompletedAt)
                .HasFilter("\"MediaDeletedAt\" IS NULL AND \"CompletedAt\" IS NOT NULL")
                .HasDatabaseName("IX_jobs_retention");
        });

        modelBuilder.Entity<Deletion>(e =>
        {
            e.ToTable("deletions");
            e.HasKey(d => d.Id);
            e.Property(d => d.Id).UseIdentityAlwaysColumn();
            e.Property(d => d.Subject).HasMaxLength(16);
            e.Property(d => d.JobKind).HasMaxLength(32);
            e.Property(d => d.Reason).HasMaxLength(32);
            e.HasIndex(d => new { d.TenantId, d.SubjectId }); // 410 Gone for what a studio deleted
            e.HasIndex(d => d.DeletedAt); // the sweeper's look for late writes after a deletion
        });

        modelBuilder.Entity<Actor>(e =>
        {
            e.ToTable("actors");
            e.HasKey(a => a.Id);
            e.Property(a => a.Name).HasMaxLength(200);
            e.HasIndex(a => new { a.TenantId, a.CreatedAt });
            e.HasOne<Tenant>().WithMany().HasForeignKey(a => a.TenantId);
            e.HasMany(a => a.Models).WithOne().HasForeignKey(m => m.ActorId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ActorModel>(e =>
        {
            e.ToTable("actor_models");
            e.HasKey(m => m.Id);
            e.HasIndex(m => new { m.ActorId, m.Version }).IsUnique();
            e.HasIndex(m => m.JobId).IsUnique();
            e.Property(m => m.State).HasConversion<string>().HasMaxLength(32);
            e.Property(m => m.Settings).HasColumnType("jsonb");
            e.Property(m => m.Metrics).HasColumnType("jsonb");
        });

        modelBuilder.Entity<JobStage>(e =>
        {
            e.ToTable("job_stages");
            e.HasKey(s => new { s.JobId, s.Name });
            e.Property(s => s.Name).HasMaxLength(32);
            e.Property(s => s.State).HasConversion<string>().HasMaxLength(32);
            e.Property(s => s.Version).IsRowVersion();
        });

        modelBuilder.Entity<JobClip>(e =>
        {
            e.ToTable("job_clips");
            e.HasKey(c => new { c.JobId, c.Name });
            e.Property(c => c.Name).HasMaxLength(32);
            e.Property(c => c.InputFileName).HasMaxLength(255);
            e.Property(c => c.FrameRate).HasMaxLength(32);
        });

        modelBuilder.Entity<JobChunk>(e =>
        {
            e.ToTable("job_chunks");
            e.HasKey(c => new { c.JobId, c.Clip, c.Index });
            e.Property(c => c.Clip).HasMaxLength(32);
            e.Property(c => c.Version).IsRowVersion();
        });

        modelBuilder.Entity<JobSegment>(e =>
        {
            e.ToTable("job_segments");
            e.HasKey(s => new { s.JobId, s.Output, s.Index });
            e.Property(s => s.Output).HasMaxLength(32);
            e.Property(s => s.Version).IsRowVersion();
            e.HasOne<Job>().WithMany().HasForeignKey(s => s.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<JobOutput>(e =>
        {
            e.ToTable("job_outputs");
            e.HasKey(o => new { o.JobId, o.Name });
            e.Property(o => o.Name).HasMaxLength(64);
        });

        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox");
            e.HasKey(m => m.Id);
            e.Property(m => m.Id).UseIdentityAlwaysColumn();
            e.Property(m => m.MessageType).HasMaxLength(200);
            e.Property(m => m.Body).HasColumnType("jsonb");
            e.Property(m => m.TraceParent).HasMaxLength(128);
            e.Property(m => m.Priority).HasDefaultValue((byte)0);
            e.HasIndex(m => m.MessageId).IsUnique();
            // The dispatcher's claim query: pending rows in Id order, quarantined ones left out.
            e.HasIndex(m => m.Id)
                .HasFilter("\"DispatchedAt\" IS NULL AND \"QuarantinedAt\" IS NULL")
                .HasDatabaseName("IX_outbox_pending");
            // The retention clean-up: published rows by age.
            e.HasIndex(m => m.DispatchedAt)
                .HasFilter("\"DispatchedAt\" IS NOT NULL")
                .HasDatabaseName("IX_outbox_dispatched");
        });
    }
}
