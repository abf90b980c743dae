using System.Data.Common;
using System.Net.Sockets;
using MassTransit;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// The job database is unreachable for a while (a restart, a failover, a network cut): the kind of fault that heals by
/// itself. A consume that meets one is retried for minutes, not seconds, and never fails a job.
/// </summary>
public static class DatabaseFaults
{
    /// <summary>
    /// The database is unavailable: a transient <see cref="DbException"/> (Npgsql marks connection failures, "the
    /// database system is shutting down" and the like as transient) anywhere in the exception's chain, or a socket error
    /// or a timeout under a database exception.
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException { IsTransient: true })
            {
                return true;
            }

            if (e is DbException && e.InnerException is SocketException or TimeoutException or IOException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The exception type names a fault message carries (<see cref="ExceptionInfo"/>) that mean the database was
    /// unavailable when the consume gave up.
    /// </summary>
    public static bool WasUnavailable(ExceptionInfo? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e.ExceptionType is "Npgsql.NpgsqlException" or "Npgsql.PostgresException" or "System.Net.Sockets.SocketException" or "System.TimeoutException")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The retry for consumers that write the job database (the coordinator's): while the database is unavailable the
    /// message is retried with exponential back-off from 1 s to 60 s, 12 times (about 8 minutes), enough to outlast a
    /// restart or a failover; anything else is left to the bus's own retry (<see cref="ServiceDefaultsExtensions.ConsumeRetry"/>).
    /// What outlasts this is not lost: the job watchdog re-sends the stalled step's commands once the database is back.
    /// </summary>
    public static void OutageRetry(IRetryConfigurator retry)
    {
        ArgumentNullException.ThrowIfNull(retry);
        retry.Exponential(12, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2));
        retry.Handle<Exception>(IsUnavailable);
    }
}
