package dev.srg.trace;

/**
 * Where the crash tests kill the server at a moment no sleep can aim at: between two commits that
 * belong together (a lifecycle step and what follows it, a service's instance and its record). Off
 * by default; {@code -Dsrg.crash.at=NAME} makes the server halt ({@link Runtime#halt}: no shutdown
 * hook, no finally, as kill -9) the first time it reaches the point of that name. Off, a point is a
 * comparison with a static final field read once.
 */
public final class CrashPoint {
    public static final String PROPERTY = "srg.crash.at";
    private static final String AT = System.getProperty(PROPERTY, "");

    private CrashPoint() {}

    /** Halts the JVM here when {@code name} is the point the server was started with. */
    public static void reach(String name) {
        if (!AT.isEmpty() && AT.equals(name)) {
            System.out.println("srg: crash point " + name + " reached; halting");
            System.out.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
