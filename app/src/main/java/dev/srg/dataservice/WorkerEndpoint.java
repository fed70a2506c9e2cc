package dev.srg.dataservice;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Where srg reaches a run's DataService worker: the Unix socket in its home (the local backend: the
 * same file system, also across network namespaces), or a TCP address (a Pod on Kubernetes), where
 * srg first proves it knows the instance's secret (WorkerProtocol). Neither: not reachable yet.
 */
public record WorkerEndpoint(Path socket, InetSocketAddress address) {
    public static WorkerEndpoint unix(Path socket) {
        return new WorkerEndpoint(socket, null);
    }

    public static WorkerEndpoint tcp(InetSocketAddress address) {
        return new WorkerEndpoint(null, address);
    }

    @Override
    public String toString() {
        return address != null ? address.toString() : socket == null ? "(no address yet)" : socket.getFileName().toString();
    }
}
