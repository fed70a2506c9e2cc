package dev.srg.sync;

import dev.srg.testing.TestMariaDb;
import dev.srg.testing.TestNetworkHosts;
import dev.srg.testing.TestPostgresServer;

/**
 * Where the sync tests' databases live (SPEC DI-8): a test host in a network namespace (never a
 * real network) with an address inside the VPC the tests bind their group to, {@value #DB}, and
 * one outside every VPC and route, {@value #OUTSIDE}; a PostgreSQL and (when a test asks) a
 * MariaDB of their own listen on both. The server's tasks reach {@value #DB} through the group's
 * enforced network and never {@value #OUTSIDE}; the test itself reaches both from the host.
 * Started once per test JVM and stopped when it exits. Needs root (namespaces, nftables); without
 * it the tests fall back to loopback databases with enforcement off ({@link #available()}).
 */
final class SyncTestHosts {
    static final String VPC_CIDR = "10.97.0.0/16";
    static final String VSWITCH_CIDR = "10.97.1.0/24";
    static final String DB = "10.97.0.5";
    static final String OUTSIDE = "192.168.97.5";
    static final String NETNS = "srgx-syncdb";
    private static Boolean available;
    private static TestNetworkHosts hosts;
    private static TestPostgresServer postgres;
    private static TestMariaDb mariadb;

    private SyncTestHosts() {}

    /** Whether this machine can run them: root, ip, nft and Debian's PostgreSQL. */
    static synchronized boolean available() {
        if (available == null) {
            try {
                available = "root".equals(System.getProperty("user.name"))
                        && TestNetworkHosts.run("sh", "-c", "command -v ip && command -v nft && command -v setpriv") == null
                        && TestPostgresServer.available();
            } catch (Exception e) {
                available = false;
            }
        }
        return available;
    }

    static synchronized TestPostgresServer postgres() throws Exception {
        if (postgres == null) {
            host();
            postgres = TestPostgresServer.startIn(NETNS, DB, OUTSIDE);
        }
        return postgres;
    }

    static synchronized TestMariaDb mariadb() throws Exception {
        if (mariadb == null) {
            host();
            mariadb = TestMariaDb.startIn(NETNS, DB);
        }
        return mariadb;
    }

    private static void host() throws Exception {
        if (hosts != null) {
            return;
        }
        hosts = new TestNetworkHosts();
        hosts.host("syncdb", DB, OUTSIDE);
        Runtime.getRuntime().addShutdownHook(new Thread(SyncTestHosts::stop, "sync-test-hosts"));
    }

    private static synchronized void stop() {
        for (AutoCloseable c : new AutoCloseable[] {mariadb, postgres, hosts}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("stopping a sync test host: " + e);
                }
            }
        }
    }
}
