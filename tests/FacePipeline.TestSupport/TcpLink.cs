using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace FacePipeline.TestSupport;

/// <summary>
/// A TCP forwarder on loopback that a test can cut and restore: while cut, every connection through it is closed and
/// new ones are refused, as when a server restarts or a network partitions, without touching the server itself (other
/// tests keep using it). Used between the services and their database.
/// </summary>
public sealed class TcpLink : IAsyncDisposable
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<Guid, (TcpClient Client, TcpClient Server)> _connections = new();
    private readonly object _gate = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _accepting;

    public TcpLink(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Restore();
    }

    /// <summary>The loopback port clients connect to instead of the target's.</summary>
    public int Port { get; }

    /// <summary>Whether connections go through now.</summary>
    public bool IsUp => _listener is not null;

    /// <summary>Closes every connection through the link and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            _accepting?.Cancel();
            _listener?.Stop();
            _listener = null;
            foreach (var (id, (client, server)) in _connections)
            {
                // A connection's own forwarder may be closing it at this moment (its peer hung up): the client's
                // socket is then already gone (TcpClient.Client is null once disposed), which is the same end.
                _connections.TryRemove(id, out _);
                Reset(client);
                server.Close();
            }
        }
    }

    /// <summary>Resets the connection (not a polite close: the peer sees it die), unless it is already closed.</summary>
    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client?.Close(0);
        }
        catch (ObjectDisposedException)
        {
            // closed by its forwarder in between
        }

        client.Close();
    }

    /// <summary>Accepts connections again, on the same port.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            if (_listener is not null)
            {
                return;
            }

            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _accepting = new CancellationTokenSource();
            _ = Accept(listener, _accepting.Token);
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }

    private async Task Accept(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                return; // the listener was stopped
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _ = Forward(client, cancellationToken);
        }
    }

    private async Task Forward(TcpClient client, CancellationToken cancellationToken)
    {
        var server = new TcpClient();
        var id = Guid.NewGuid();
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, cancellationToken);
            _connections[id] = (client, server);
            if (cancellationToken.IsCancellationRequested)
            {
                return; // cut while connecting
            }

            var up = client.GetStream().CopyToAsync(server.GetStream(), cancellationToken);
            var down = server.GetStream().CopyToAsync(client.GetStream(), cancellationToken);
            await Task.WhenAny(up, down);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // a cut, or either side closed: the other side is closed below
        }
        finally
        {
            _connections.TryRemove(id, out _);
            client.Close();
            server.Close();
        }
    }
}
