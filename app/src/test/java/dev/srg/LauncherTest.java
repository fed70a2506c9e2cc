package dev.srg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code srg} launcher's background training run (the server's AOT cache, JDK 25+): a server or
 * a demo starts it the first time a new jar runs, a command that ends at once ({@code demo --exit},
 * a smoke test) does not, since the run would go on for a minute or more after the command
 * returned. Runs the real launcher in a copy of the repository's layout around a small jar whose
 * main does nothing and whose training class leaves a mark; the order of the server's JVM options;
 * the server's collector options; the load client's.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LauncherTest {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void demoExitStartsNoTrainingRunThatWouldOutliveIt(@TempDir Path tmp) throws Exception {
        assumeTrue(Runtime.version().feature() >= 25, "the training run is JDK 25+'s (21-24: an archive the JVM writes at exit)");
        Path trained = tmp.resolve("trained");
        Path control = layout(tmp.resolve("control"), trained);
        // the control: a server that keeps running starts the run (which leaves its mark)
        long start = System.nanoTime();
        assertThat(launch(control, "demo")).isZero();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(trained));
        long markedMillis = (System.nanoTime() - start) / 1_000_000;
        // its run ends by itself (and removes its lock): let it, before the directory goes
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !Files.exists(control.resolve("app/target")
                .resolve("srg-server-" + Path.of(System.getProperty("java.home")).getFileName() + ".lock")));

        Path exiting = layout(tmp.resolve("exit"), tmp.resolve("trained-by-exit"));
        assertThat(launch(exiting, "demo", "--exit")).isZero();
        assertThat(launch(exiting, "server", "--help")).isZero();
        Thread.sleep(Math.max(3_000, 2 * markedMillis)); // twice what the control's run took to leave its mark
        assertThat(tmp.resolve("trained-by-exit")).doesNotExist();
        try (var files = Files.list(exiting.resolve("app/target"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".lock") || n.endsWith(".aot"));
        }
    }

    @Test
    void trainOnlyMakesTheCacheBeforeItReturnsAndRunsNothingElse(@TempDir Path tmp) throws Exception {
        // bench/run makes the server's cache with it before its timed part: the training run and the
        // cache are done when the launcher returns, and the command itself does not run
        assumeTrue(Runtime.version().feature() >= 25, "the training run is JDK 25+'s (21-24: an archive the JVM writes at exit)");
        Path trained = tmp.resolve("trained");
        Path root = layout(tmp.resolve("root"), trained);
        Path target = root.resolve("app/target");
        String cache = "srg-server-" + Path.of(System.getProperty("java.home")).getFileName();
        assertThat(launch(root, Map.of("SRG_LAUNCHER_TRAIN_ONLY", "1"), "server")).isZero();
        assertThat(trained).exists();
        assertThat(target.resolve(cache + ".aot")).exists();
        assertThat(target.resolve(cache + ".lock")).doesNotExist();
        assertThat(Files.readString(root.resolve("launch.log"))).contains("srg: AOT cache " + target.resolve(cache + ".aot"));
        // and a server started then uses it
        assertThat(dryRun(root, Map.of(), "server")).contains("-XX:AOTCache=" + target.resolve(cache + ".aot"));
        // a command that ends at once trains nothing, and says that no cache was made
        Path other = layout(tmp.resolve("help"), tmp.resolve("trained-by-help"));
        assertThat(launch(other, Map.of("SRG_LAUNCHER_TRAIN_ONLY", "1"), "server", "--help")).isEqualTo(1);
        assertThat(tmp.resolve("trained-by-help")).doesNotExist();
    }

    @Test
    void theOperatorsServerOptionsWin(@TempDir Path tmp) throws Exception {
        // the launcher's own server options (its heap cap: issue 17's RSS goal) must not override an operator's
        Path root = layout(tmp.resolve("root"), tmp.resolve("trained"));
        List<String> server = dryRun(root, Map.of("SRG_JAVA_OPTS", "-Xmx300m -XX:TieredStopAtLevel=1"), "server");
        assertThat(server).contains("-Xmx160m");
        // an operator's option comes after the launcher's, so it is the one the JVM keeps
        assertThat(server.lastIndexOf("-Xmx300m")).isGreaterThan(server.indexOf("-Xmx160m"));
        // the JVM takes the launcher's options (--help: no training run)
        assertThat(launch(root, "server", "--help")).isZero();
    }

    @Test
    void theServersCollectorStartsItsMarkingAboveTheLiveSet(@TempDir Path tmp) throws Exception {
        // issues 14 and 17: in the heap G1 shrinks to (~57 of 160 MB) its adaptive threshold came out
        // below the server's live set, so it marked back to back, a Remark pause every second; a fixed
        // threshold of 75 % starts a cycle only when the old generation grows (docs/benchmarks.md,
        // "The server's collector, issues 14 and 17 (eleventh round, helper gc13)")
        Path root = layout(tmp.resolve("root"), tmp.resolve("trained"));
        for (String command : List.of("server", "demo")) {
            List<String> server = dryRun(root, Map.of(), command);
            assertThat(server).contains("-XX:-G1UseAdaptiveIHOP", "-XX:InitiatingHeapOccupancyPercent=75");
            // before the operator's options, so that an operator can give G1 its own threshold back
            List<String> operator = dryRun(root, Map.of("SRG_JAVA_OPTS", "-XX:+G1UseAdaptiveIHOP"), command);
            assertThat(operator.lastIndexOf("-XX:+G1UseAdaptiveIHOP")).isGreaterThan(operator.indexOf("-XX:-G1UseAdaptiveIHOP"));
        }
        // a client command runs the serial collector: no G1 option
        assertThat(dryRun(root, Map.of(), "rg", "list")).noneMatch(o -> o.contains("IHOP") || o.contains("InitiatingHeap"));
        // the JVM takes them (it refuses to start with an option it does not know)
        assertThat(launch(root, "server", "--help")).isZero();
    }

    @Test
    void theLoadClientCompilesWithC1AtItsDefaultThresholds(@TempDir Path tmp) throws Exception {
        // srg load measures a server on the same cores: C1 only and the serial collector, as for a
        // call, but not a call's tenfold compile thresholds (it is a loop of thousands of requests)
        Path root = layout(tmp.resolve("root"), tmp.resolve("trained"));
        List<String> load = dryRun(root, Map.of(), "load");
        assertThat(load).contains("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData");
        assertThat(load).noneMatch(o -> o.startsWith("-XX:Tier3"));
        List<String> call = dryRun(root, Map.of(), "rg", "list");
        assertThat(call).contains("-XX:TieredStopAtLevel=1", "-XX:Tier3InvocationThreshold=2000");
    }

    private static List<String> dryRun(Path root, Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(root.resolve("srg").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectError(root.resolve("dry-run.err").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("SRG_LAUNCHER_DRY_RUN", "1");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return out.lines().toList();
    }

    /** The launcher and find-jdk.sh in {@code root}, and app/target/srg.jar: a no-op main and a training class that writes {@code mark}. */
    private static Path layout(Path root, Path mark) throws IOException {
        Files.createDirectories(root.resolve("scripts"));
        Files.createDirectories(root.resolve("app/target"));
        Files.copy(REPO.resolve("srg"), root.resolve("srg"));
        root.resolve("srg").toFile().setExecutable(true);
        Files.copy(REPO.resolve("scripts/find-jdk.sh"), root.resolve("scripts/find-jdk.sh"));
        Path src = root.resolve("src");
        Files.createDirectories(src.resolve("dev/srg/server"));
        Files.writeString(src.resolve("Noop.java"), "public class Noop { public static void main(String[] a) {} }");
        Files.writeString(src.resolve("dev/srg/server/ServerTraining.java"), """
                package dev.srg.server;
                public class ServerTraining {
                    public static void main(String[] a) throws Exception {
                        java.nio.file.Files.writeString(java.nio.file.Path.of("%s"), "trained");
                    }
                }""".formatted(mark));
        Path classes = root.resolve("classes");
        int javac = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                src.resolve("Noop.java").toString(), src.resolve("dev/srg/server/ServerTraining.java").toString());
        assertThat(javac).isZero();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Noop");
        try (OutputStream out = Files.newOutputStream(root.resolve("app/target/srg.jar"));
             JarOutputStream jar = new JarOutputStream(out, manifest)) {
            for (String name : List.of("Noop.class", "dev/srg/server/ServerTraining.class")) {
                jar.putNextEntry(new JarEntry(name));
                jar.write(Files.readAllBytes(classes.resolve(name)));
                jar.closeEntry();
            }
        }
        return root;
    }

    private static int launch(Path root, String... args) throws Exception {
        return launch(root, Map.of(), args);
    }

    private static int launch(Path root, Map<String, String> extraEnv, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(root.resolve("srg").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(root.resolve("launch.log").toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.putAll(extraEnv);
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
