package dev.srg.execution.local;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compiled supervisor in its launcher mode ({@code srg-supervisor --launcher}): one small
 * process started with the backend that forks a supervisor per launch, so a launch costs the
 * server one line written to a pipe instead of a {@code ProcessBuilder} (jspawnhelper's exec, then
 * the supervisor's), and the supervisor starts without an exec, libnftables already loaded
 * (issue 17, docs/benchmarks.md "seventh round").
 *
 * <p>What it does not change: a supervisor still takes a session of its own and the run-once
 * link of its instance, so it outlives both the server and the launcher. The launcher is the
 * supervisors' parent and says when one exits (the server would otherwise poll a process that is
 * not its child); when it dies, the exits of those it had started are watched by polling, as
 * after a restart, and the next launch starts a new launcher. A launch whose answer does not come
 * (the launcher died or hangs) fails here and the backend starts that supervisor directly: if the
 * launcher did fork one, the two race for the run-once link and one of them exits without running.
 * The launcher reads requests only from this pipe; its environment is PATH and LANG only.
 */
final class SupervisorLauncher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SupervisorLauncher.class);
    /** Room in the launcher's command line for a child's own (the binary and its instance directory). */
    private static final String COMMAND_LINE_ROOM = " ".repeat(512);
    private static final long READY_TIMEOUT_MILLIS = 10_000;

    private final Process process;
    private final OutputStream requests;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final long answerTimeoutMillis;
    /** Launches sent and not answered yet, by instance directory. */
    private final Map<String, CompletableFuture<Long>> pending = new ConcurrentHashMap<>();
    /** Supervisors started and not exited yet, by pid. */
    private final Map<Long, CompletableFuture<Void>> running = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    /** The launcher's nice value and the server's it started from, as it said when ready. */
    private volatile int nice;
    private volatile int baseNice;
    /** How many network namespaces the launcher keeps made ahead, and why none when it cannot, as it said when ready. */
    private volatile int namespacePool;
    private volatile String namespacePoolWhyNot = "";
    private volatile boolean dead;

    /** A supervisor the launcher started, and when it exits. */
    record Started(long pid, CompletableFuture<Void> exited) {
        Started {
            requireNonNull(exited, "exited is null");
        }
    }

    private SupervisorLauncher(Process process, long answerTimeoutMillis) {
        this.process = process;
        this.requests = process.getOutputStream();
        this.answerTimeoutMillis = answerTimeoutMillis;
        Thread.ofPlatform().daemon().name("srg-launcher-" + process.pid()).start(this::readAnswers);
    }

    /**
     * Starts a launcher from the compiled supervisor and waits for it to say it is ready; the
     * reason when it cannot (the backend then starts supervisors itself).
     */
    static Result start(Path supervisor, Path baseDirectory, long answerTimeoutMillis, int launchNice, int namespacePool) {
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(List.of(supervisor.toString(), "--launcher",
                    baseDirectory.toString(), COMMAND_LINE_ROOM))
                    .redirectError(ProcessBuilder.Redirect.appendTo(
                            supervisor.resolveSibling("launcher.log").toFile()))
                    .directory(baseDirectory.toFile());
            // never the server's environment (it may hold secrets): the supervisors inherit this one
            builder.environment().clear();
            builder.environment().put("PATH", LocalExecutionBackend.TASK_PATH);
            builder.environment().put("LANG", "C.UTF-8");
            // how much lower than the server's the launches' CPU priority is (the task gets the server's back)
            builder.environment().put("SRG_LAUNCH_NICE", Integer.toString(launchNice));
            // how many task network namespaces it keeps made ahead (0: none; the supervisors make their own)
            builder.environment().put("SRG_NET_POOL", Integer.toString(namespacePool));
            process = builder.start();
        } catch (IOException e) {
            return new Result(Optional.empty(), "the launcher did not start: " + e.getMessage());
        }
        SupervisorLauncher launcher = new SupervisorLauncher(process, answerTimeoutMillis);
        try {
            launcher.ready.get(READY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            return new Result(Optional.of(launcher), "");
        } catch (ExecutionException | TimeoutException e) {
            launcher.close();
            return new Result(Optional.empty(), "the launcher did not say it was ready (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            launcher.close();
            return new Result(Optional.empty(), "interrupted while the launcher started");
        }
    }

    /** A launcher, or why there is none. */
    record Result(Optional<SupervisorLauncher> launcher, String whyNot) {
    }

    long pid() {
        return process.pid();
    }

    /**
     * What the launcher's CPU priority is, for the note at start: lowered by how much, or why not
     * (a task must get the server's priority back, which needs root's CAP_SYS_NICE).
     */
    String priorityNote(int asked) {
        if (asked <= 0) {
            return "launches at the server's CPU priority (" + LocalExecutionBackend.LAUNCH_NICE_PROPERTY + "=" + asked + ")";
        }
        if (nice > baseNice) {
            return "launches and supervisors at nice " + nice + " (the server's " + baseNice + " + " + (nice - baseNice)
                    + ", below submissions and PostgreSQL); each task at " + baseNice;
        }
        return "launches at the server's CPU priority: not lowered (" + (baseNice >= 19 ? "the server runs at the lowest"
                : "a task could not get it back without CAP_SYS_NICE") + ")";
    }

    /**
     * The task networks made ahead, for the note at start: how many, or why none (a host that cannot
     * make them ahead keeps the supervisors making their own).
     */
    String namespacePoolNote(int asked) {
        if (asked <= 0) {
            return "";
        }
        if (namespacePool > 0) {
            return "; " + namespacePool + " task network namespaces kept made ahead (" + LocalExecutionBackend.NET_POOL_PROPERTY
                    + "; each used by one task once)";
        }
        return "; task network namespaces not made ahead (" + (namespacePoolWhyNot.isEmpty() ? "the launcher could not" : namespacePoolWhyNot)
                + "): each supervisor makes its own";
    }

    boolean alive() {
        return !dead && process.isAlive();
    }

    /**
     * Has the launcher fork a supervisor for {@code instanceDirectory}; fails when it does not
     * answer within the timeout or dies first, and then it is stopped (a hung launcher must not
     * fork later a supervisor the caller will have started another way; the run-once link keeps
     * even that case to one run).
     */
    Started launch(Path instanceDirectory) throws IOException {
        return request('l', instanceDirectory);
    }

    /**
     * Has the launcher fork the supervisor of a start whose transaction has not committed yet,
     * held before anything of its instance (no run-once link, no cgroup, no network) until
     * {@link #release} or {@link #drop}; it exits without running anything at a drop and whenever
     * the launcher exits or is killed (the server gone). Issue 17, twelfth round.
     */
    Started hold(Path instanceDirectory) throws IOException {
        return request('h', instanceDirectory);
    }

    /**
     * The start committed: the supervisor held for it goes on (the same pid as {@link #hold}'s);
     * when there is none (it exited, or another launcher held it), one is forked as by {@link #launch}.
     */
    Started release(Path instanceDirectory) throws IOException {
        return request('g', instanceDirectory);
    }

    /** The start did not commit: the supervisor held for it exits without running anything (no answer). */
    void drop(Path instanceDirectory) throws IOException {
        String dir = checked(instanceDirectory);
        writeLock.lock();
        try {
            if (dead) {
                return; // its end closed with the launcher: the held supervisor is gone already
            }
            requests.write(("d " + dir + "\n").getBytes(StandardCharsets.UTF_8));
            requests.flush();
        } finally {
            writeLock.unlock();
        }
    }

    /** When the supervisor with this pid exits, as the launcher says (completed when it is not one of its own). */
    CompletableFuture<Void> exitOf(long pid) {
        CompletableFuture<Void> exited = running.get(pid);
        return exited != null ? exited : CompletableFuture.completedFuture(null);
    }

    private static String checked(Path instanceDirectory) throws IOException {
        String dir = instanceDirectory.toString();
        if (dir.indexOf('\n') >= 0) {
            throw new IOException("an instance directory with a line break: " + dir);
        }
        return dir;
    }

    private Started request(char kind, Path instanceDirectory) throws IOException {
        String dir = checked(instanceDirectory);
        CompletableFuture<Long> answer = new CompletableFuture<>();
        pending.put(dir, answer);
        try {
            writeLock.lock();
            try {
                if (dead) {
                    throw new IOException("the launcher is gone");
                }
                requests.write((kind + " " + dir + "\n").getBytes(StandardCharsets.UTF_8));
                requests.flush();
            } finally {
                writeLock.unlock();
            }
            long pid = answer.get(answerTimeoutMillis, TimeUnit.MILLISECONDS);
            return new Started(pid, exitOf(pid));
        } catch (ExecutionException e) {
            throw new IOException("the launcher did not start a supervisor: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            close();
            throw new IOException("the launcher did not answer within " + answerTimeoutMillis + " ms; stopped");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while launching", e);
        } finally {
            pending.remove(dir);
        }
    }

    private void readAnswers() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                answer(line);
            }
        } catch (IOException | RuntimeException e) {
            log.debug("launcher {}: its answers ended", process.pid(), e);
        } finally {
            gone();
        }
    }

    private void answer(String line) {
        if (line.startsWith("ready ")) {
            // ready <base nice> <nice> <namespaces kept ahead> [why none]
            String[] values = line.split(" ", 5);
            baseNice = Integer.parseInt(values[1]);
            nice = Integer.parseInt(values[2]);
            namespacePool = values.length > 3 ? Integer.parseInt(values[3]) : 0;
            namespacePoolWhyNot = values.length > 4 ? values[4].strip() : "";
            ready.complete(null);
            return;
        }
        int last = line.lastIndexOf(' ');
        if (line.length() < 4 || line.charAt(1) != ' ' || last < 2) {
            log.warn("launcher {}: unexpected answer {}", process.pid(), line);
            return;
        }
        String head = line.substring(2, last);
        long number = Long.parseLong(line.substring(last + 1));
        switch (line.charAt(0)) {
            case 's' -> {
                // registered before the next line is read: its exit always comes after this answer
                // (a held supervisor released is answered twice with its pid: its first entry stays)
                running.putIfAbsent(number, new CompletableFuture<>());
                complete(head, number);
            }
            case 'f' -> {
                CompletableFuture<Long> answer = pending.get(head);
                if (answer != null) {
                    answer.completeExceptionally(new IOException("fork failed, errno " + number));
                }
            }
            case 'x' -> {
                CompletableFuture<Void> exited = running.remove(Long.parseLong(head));
                if (exited != null) {
                    exited.complete(null);
                }
            }
            default -> log.warn("launcher {}: unexpected answer {}", process.pid(), line);
        }
    }

    private void complete(String dir, long pid) {
        CompletableFuture<Long> answer = pending.get(dir);
        if (answer != null) {
            answer.complete(pid);
        }
    }

    /** The launcher is gone: launches waiting fail, the supervisors it started are watched by polling. */
    private void gone() {
        dead = true;
        ready.completeExceptionally(new IOException("the launcher exited"));
        pending.values().forEach(answer -> answer.completeExceptionally(new IOException("the launcher exited")));
        for (Map.Entry<Long, CompletableFuture<Void>> supervisor : List.copyOf(running.entrySet())) {
            running.remove(supervisor.getKey());
            ProcessHandle.of(supervisor.getKey())
                    .map(ProcessHandle::onExit)
                    .orElseGet(() -> CompletableFuture.completedFuture(null))
                    .whenComplete((handle, error) -> supervisor.getValue().complete(null));
        }
    }

    /** Stops the launcher; the supervisors it started run on (sessions of their own). */
    @Override
    public void close() {
        dead = true;
        process.destroyForcibly();
    }
}
