package dev.srg.image;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.json.Json;
import dev.srg.quantity.ComputeUnits;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager;
import dev.srg.task.SubmitRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Custom images (SPEC RT-1; docs/images.md): recipes in, content-addressed images out. A create
 * checks the recipe, the installation's quota and the region's build slots, records the image
 * BUILDING and submits its IMAGE_BUILD task on the caller's resource group; the image follows its
 * task to AVAILABLE or FAILED ({@link #settle()}). The files are under {@code <data dir>/images}:
 * {@code <id>/root} appears only complete (the builder renames it into place), what a crash leaves
 * ({@code .tmp-*}, {@code .deleted-*}, a directory without a row) is swept.
 */
public final class ImageManager {
    private static final Logger LOG = LoggerFactory.getLogger(ImageManager.class);
    static final ComputeUnits DEFAULT_BUILD_CU = ComputeUnits.ofCu(1);
    static final int DEFAULT_BUILD_TIMEOUT_SECONDS = 1800;
    /** A BUILDING image without a build task this long is from a crash between the two writes. */
    static final Duration UNSUBMITTED_GRACE = Duration.ofMinutes(2);
    static final int LOG_TAIL_BYTES = 16 * 1024;

    private final Jdbi jdbi;
    private final Clock clock;
    private final ImageConfig config;
    private final Path directory;
    private final InstanceManager instances;

    public ImageManager(Jdbi jdbi, Clock clock, ImageConfig config, Path directory, InstanceManager instances) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.config = requireNonNull(config, "config is null");
        this.directory = requireNonNull(directory, "directory is null").toAbsolutePath().normalize();
        this.instances = requireNonNull(instances, "instances is null");
    }

    /** {@code POST /images}. {@code cu} defaults to 1, {@code timeoutSeconds} to 1800. */
    public record CreateRequest(String name, String base, List<String> packages, String buildScript, String resourceGroupId,
                                String workspaceId, ComputeUnits cu, Integer timeoutSeconds, String clientToken) {}

    /** Whether an image id is BUILDING (for {@link ImageBuildKind}). */
    public static boolean building(Jdbi jdbi, String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM images WHERE id = :id AND status = 'BUILDING'")
                .bind("id", id).mapTo(Long.class).one()) > 0;
    }

    /**
     * For task submissions that name an image: 404 when there is none, 409 when it is not AVAILABLE.
     */
    public static void requireUsable(Jdbi jdbi, String id) {
        Optional<String> status = jdbi.withHandle(h -> h.createQuery("SELECT status FROM images WHERE id = :id")
                .bind("id", id).mapTo(String.class).findOne());
        if (status.isEmpty()) {
            throw SrgException.notFound("Image", id, "imageId");
        }
        if (!status.get().equals(ImageStatus.AVAILABLE.name())) {
            throw SrgException.conflict("Image.NotAvailable", "imageId", "image '" + id + "' is " + status.get()
                    + "; a task can use only an AVAILABLE image");
        }
    }

    /** Where an image's root file system is (whether or not it exists). */
    public static Path rootOf(Path imagesDirectory, String id) {
        if (!Recipe.isImageId(id)) {
            throw new IllegalArgumentException("not an image id: " + id);
        }
        return imagesDirectory.resolve(id).resolve("root");
    }

    /** The Debian bases this server builds (an AVAILABLE image is a base too). */
    public List<String> bases() {
        return List.of(config.debianBase());
    }

    public ImageInfo create(Principal caller, CreateRequest r) {
        requireNonNull(r, "request is null");
        String name = Names.require("name", r.name());
        Recipe recipe = Recipe.of(r.base(), r.packages(), r.buildScript(), config.debianBase());
        if (r.resourceGroupId() == null || r.resourceGroupId().isBlank()) {
            throw SrgException.invalid("resourceGroupId", "MissingParameter",
                    "resourceGroupId is required: an image is built as a task on a resource group (its CU used and billed)");
        }
        ComputeUnits cu = r.cu() == null ? DEFAULT_BUILD_CU : r.cu();
        int timeout = r.timeoutSeconds() == null ? DEFAULT_BUILD_TIMEOUT_SECONDS : r.timeoutSeconds();
        if (recipe.layered()) {
            Optional<String> parent = jdbi.withHandle(h -> h.createQuery("SELECT status FROM images WHERE id = :id")
                    .bind("id", recipe.base()).mapTo(String.class).findOne());
            if (parent.isEmpty() || !parent.get().equals(ImageStatus.AVAILABLE.name())) {
                throw SrgException.invalid("base", "InvalidParameter.Base", "base image '" + recipe.base() + "' is "
                        + parent.map(s -> s).orElse("not there") + "; an image layers only on an AVAILABLE one");
            }
        }
        String id = recipe.imageId();
        String region = jdbi.withHandle(h -> h.createQuery("SELECT region_id FROM resource_groups WHERE id = :g")
                .bind("g", r.resourceGroupId()).mapTo(String.class).findOne())
                .orElseThrow(() -> SrgException.notFound("ResourceGroup", r.resourceGroupId(), "resourceGroupId"));
        String workspace = r.workspaceId() != null ? r.workspaceId() : workspaceFor(caller, r.resourceGroupId());
        // decide under the region's lock: the quota, the build slots, and this recipe's row
        Optional<ImageInfo> existing = jdbi.inTransaction(h -> {
            h.execute("SELECT pg_advisory_xact_lock(hashtext('srg-images'))");
            Optional<ImageInfo> found = find(h, id);
            if (found.isPresent() && found.get().status() != ImageStatus.FAILED) {
                return found; // SPEC RT-1: an identical recipe is the same image, built once
            }
            if (found.isEmpty()) {
                long count = h.createQuery("SELECT count(*) FROM images").mapTo(Long.class).one();
                if (count >= config.quota()) {
                    throw SrgException.conflict("Image.QuotaExceeded", "this installation keeps at most " + config.quota()
                            + " images; delete one first (srg image delete ID)");
                }
            }
            long building = h.createQuery("SELECT count(*) FROM images WHERE status = 'BUILDING' AND region_id = :r")
                    .bind("r", region).mapTo(Long.class).one();
            if (building >= config.buildsPerRegion()) {
                throw new SrgException(429, "Image.TooManyBuilds", null, building + " images are being built in region '"
                        + region + "' (at most " + config.buildsPerRegion() + " at a time); try again when one has finished");
            }
            Instant now = clock.instant();
            if (found.isPresent()) {
                h.createUpdate("""
                        UPDATE images SET status = 'BUILDING', failure_reason = NULL, build_instance_id = NULL, size_bytes = NULL,
                               finished_at = NULL, name = :name, region_id = :r, resource_group_id = :g, workspace_id = :w,
                               created_by = :by, created_at = :now
                         WHERE id = :id AND status = 'FAILED'""")
                        .bind("id", id).bind("name", name).bind("r", region).bind("g", r.resourceGroupId()).bind("w", workspace)
                        .bind("by", caller.userId()).bind("now", Timestamp.from(now)).execute();
            } else {
                h.createUpdate("""
                        INSERT INTO images (id, name, base, packages, build_script, status, region_id, resource_group_id,
                                            workspace_id, created_by, created_at)
                        VALUES (:id, :name, :base, CAST(:packages AS jsonb), :script, 'BUILDING', :r, :g, :w, :by, :now)""")
                        .bind("id", id).bind("name", name).bind("base", recipe.base())
                        .bind("packages", Json.MAPPER.writeValueAsString(recipe.packages())).bind("script", recipe.buildScript())
                        .bind("r", region).bind("g", r.resourceGroupId()).bind("w", workspace).bind("by", caller.userId())
                        .bind("now", Timestamp.from(now)).execute();
            }
            return Optional.empty();
        });
        if (existing.isPresent()) {
            return withLog(caller, existing.get());
        }
        InstanceInfo build;
        try {
            Map<String, Object> fields = new java.util.LinkedHashMap<>();
            fields.put("imageId", id);
            fields.put("base", recipe.base());
            fields.put("packages", recipe.packages());
            fields.put("buildScript", recipe.buildScript());
            build = instances.submit(caller, new SubmitRequest(workspace, r.resourceGroupId(), ImageBuildKind.NAME, null, null, cu,
                    null, timeout, null, "image " + name, null), fields);
        } catch (RuntimeException e) {
            // nothing half-done: the submission was refused, so the image is not there either
            jdbi.useHandle(h -> h.createUpdate("DELETE FROM images WHERE id = :id AND status = 'BUILDING' AND build_instance_id IS NULL")
                    .bind("id", id).execute());
            throw e;
        }
        jdbi.useHandle(h -> h.createUpdate("UPDATE images SET build_instance_id = :i WHERE id = :id AND status = 'BUILDING'")
                .bind("i", build.id()).bind("id", id).execute());
        LOG.info("image {} ('{}') building as instance {} on group {}", id, name, build.id(), r.resourceGroupId());
        return get(caller, id);
    }

    public ImageInfo get(Principal caller, String id) {
        requireNonNull(caller, "caller is null");
        settle(id);
        ImageInfo image = jdbi.withHandle(h -> find(h, id)).orElseThrow(() -> SrgException.notFound("Image", id));
        return withLog(caller, image);
    }

    /** Every image of the installation (images are shared by all its users), oldest first. */
    public Page<ImageInfo> list(Principal caller, PageRequest page) {
        requireNonNull(caller, "caller is null");
        settle();
        List<ImageInfo> rows = jdbi.withHandle(h -> h.createQuery("""
                SELECT * FROM images WHERE (CAST(:after AS text) IS NULL OR id > :after) ORDER BY id LIMIT :limit""")
                .bind("after", page.afterId()).bind("limit", page.limit()).map((rs, ctx) -> read(rs)).list());
        return page.page(rows, ImageInfo::id);
    }

    /** The build log from {@code offset}, as an instance's log (its workspace's members and administrators). */
    public InstanceManager.LogChunk log(Principal caller, String id, long offset, int maxBytes) {
        ImageInfo image = jdbi.withHandle(h -> find(h, id)).orElseThrow(() -> SrgException.notFound("Image", id));
        if (image.buildInstanceId() == null) {
            return new InstanceManager.LogChunk(new byte[0], offset, image.status() != ImageStatus.BUILDING);
        }
        return instances.log(caller, image.buildInstanceId(), offset, maxBytes);
    }

    /**
     * {@code DELETE /images/{id}}: its creator or an administrator; refused while it is being built,
     * while a task that names it has not ended, or while an image is being built on it. The row
     * goes first (in one transaction with those checks), then the files.
     */
    public void delete(Principal caller, String id) {
        jdbi.useTransaction(h -> {
            ImageInfo image = h.createQuery("SELECT * FROM images WHERE id = :id FOR UPDATE").bind("id", id)
                    .map((rs, ctx) -> read(rs)).findOne().orElseThrow(() -> SrgException.notFound("Image", id));
            if (!caller.isAdministrator() && !caller.userId().equals(image.createdBy())) {
                throw SrgException.forbidden("Forbidden.Image", "only the creator of image '" + id + "' or an administrator may delete it");
            }
            if (image.status() == ImageStatus.BUILDING) {
                throw SrgException.conflict("Image.Building", "image '" + id + "' is being built (instance "
                        + image.buildInstanceId() + "); cancel that instance or wait for it");
            }
            List<String> users = h.createQuery("""
                    SELECT id FROM instances WHERE image_id = :id AND status IN ('QUEUED', 'STARTING', 'RUNNING')
                     ORDER BY id LIMIT 5""").bind("id", id).mapTo(String.class).list();
            if (!users.isEmpty()) {
                throw SrgException.conflict("Image.InUse", "image '" + id + "' is used by instances that have not ended: "
                        + String.join(", ", users));
            }
            long children = h.createQuery("SELECT count(*) FROM images WHERE base = :id AND status = 'BUILDING'")
                    .bind("id", id).mapTo(Long.class).one();
            if (children > 0) {
                throw SrgException.conflict("Image.InUse", "an image is being built on image '" + id + "'");
            }
            h.createUpdate("DELETE FROM images WHERE id = :id").bind("id", id).execute();
        });
        removeFiles(id);
        LOG.info("image {} deleted by {}", id, caller.userId());
    }

    /** The longest the images job goes without a sweep while nothing is built and the directory is unchanged. */
    static final Duration RESWEEP = Duration.ofMinutes(1);
    // touched by the (one) jobs thread only
    private boolean builtLastTime = true;
    private FileTime sweptAt;
    private long sweptNanos;

    /**
     * Settles every BUILDING image whose build ended, and sweeps what crashed builds and deletes left:
     * the sweep (two statements and a listing) only while or just after something was built, when the
     * directory changed, and every {@link #RESWEEP} (issue 17: the job runs every 2 s on an idle server).
     */
    public void settle() {
        List<String> building = jdbi.withHandle(h -> h.createQuery("SELECT id FROM images WHERE status = 'BUILDING'")
                .mapTo(String.class).list());
        building.forEach(this::settle);
        FileTime modified = modified();
        boolean built = !building.isEmpty();
        if (built || builtLastTime || sweptAt == null || !sweptAt.equals(modified)
                || System.nanoTime() - sweptNanos > RESWEEP.toNanos()) {
            sweep();
            sweptAt = modified();
            sweptNanos = System.nanoTime();
        }
        builtLastTime = built;
    }

    private FileTime modified() {
        try {
            return Files.getLastModifiedTime(directory);
        } catch (IOException e) {
            return null;
        }
    }

    /** Moves one BUILDING image to AVAILABLE or FAILED once its build task ended (idempotent). */
    void settle(String id) {
        record Build(String status, String buildInstance, Instant createdAt, String instanceStatus, String failureReason,
                     Integer exitCode, String note) {}
        Optional<Build> found = jdbi.withHandle(h -> h.createQuery("""
                SELECT m.status, m.build_instance_id, m.created_at, i.status AS instance_status,
                       i.failure_reason, i.exit_code, i.limits_note
                  FROM images m LEFT JOIN instances i ON i.id = m.build_instance_id WHERE m.id = :id""")
                .bind("id", id).map((rs, ctx) -> new Build(rs.getString("status"), rs.getString("build_instance_id"),
                        rs.getTimestamp("created_at").toInstant(), rs.getString("instance_status"), rs.getString("failure_reason"),
                        (Integer) rs.getObject("exit_code"), rs.getString("limits_note"))).findOne());
        if (found.isEmpty() || !found.get().status().equals(ImageStatus.BUILDING.name())) {
            return;
        }
        Build b = found.get();
        if (b.buildInstance() == null) {
            if (b.createdAt().plus(UNSUBMITTED_GRACE).isBefore(clock.instant())) {
                finish(id, ImageStatus.FAILED, null, "the build was never submitted (the server stopped in between); create it again");
            }
            return;
        }
        if (b.instanceStatus() == null || !dev.srg.task.InstanceStatus.valueOf(b.instanceStatus()).isFinal()) {
            return;
        }
        Path root = rootOf(directory, id);
        if (b.instanceStatus().equals("SUCCEEDED")) {
            if (Files.isDirectory(root)) {
                finish(id, ImageStatus.AVAILABLE, size(id), null);
            } else {
                finish(id, ImageStatus.FAILED, null, "the build ended without an image in " + directory);
            }
            return;
        }
        String why = "the build " + b.instanceStatus().toLowerCase(java.util.Locale.ROOT)
                + (b.failureReason() == null ? "" : " (" + b.failureReason() + (b.exitCode() == null ? "" : ", exit code " + b.exitCode()) + ")");
        String detail = lastBuilderLine(b.buildInstance());
        if (detail != null) {
            why += ": " + detail;
        } else if ("LAUNCH_FAILED".equals(b.failureReason()) && b.note() != null) {
            why += ": " + b.note();
        }
        finish(id, ImageStatus.FAILED, null, why + "; see its log (srg image log " + id + ")");
    }

    /**
     * At start and after every settle: removes staging directories of builds that are over,
     * directories of deleted images (a crash between the row and the files), and images on disk
     * that have no row. Nothing here is ever a complete image with a row.
     */
    public void sweep() {
        if (!Files.isDirectory(directory)) {
            return;
        }
        Set<String> live = new java.util.HashSet<>(jdbi.withHandle(h -> h.createQuery("""
                SELECT m.id || '-' || m.build_instance_id FROM images m JOIN instances i ON i.id = m.build_instance_id
                 WHERE m.status = 'BUILDING' AND i.status IN ('QUEUED', 'STARTING', 'RUNNING')""").mapTo(String.class).list()));
        Set<String> known = new java.util.HashSet<>(jdbi.withHandle(h -> h.createQuery("SELECT id FROM images")
                .mapTo(String.class).list()));
        try (var entries = Files.list(directory)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".tmp-") && !live.contains(name.substring(".tmp-".length()))) {
                    LOG.info("removing {}: what a build that is over left", entry);
                    deleteTree(entry);
                } else if (name.startsWith(".deleted-")) {
                    deleteTree(entry);
                } else if (Recipe.isImageId(name) && !known.contains(name)) {
                    LOG.info("removing image {}: it has no record (deleted while the server stopped)", name);
                    removeFiles(name);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot sweep {}: {}", directory, e.toString());
        }
    }

    /** Prepares the images directory (root only: tasks reach an image only through their own mount). */
    public void prepareDirectory() {
        try {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + directory, e);
        }
    }

    // --- helpers ---

    private void finish(String id, ImageStatus status, Long size, String reason) {
        int changed = jdbi.withHandle(h -> h.createUpdate("""
                UPDATE images SET status = :s, size_bytes = :size, failure_reason = :why, finished_at = :now
                 WHERE id = :id AND status = 'BUILDING'""")
                .bind("s", status.name()).bind("size", size).bind("why", reason).bind("now", Timestamp.from(clock.instant()))
                .bind("id", id).execute());
        if (changed > 0) {
            LOG.info("image {} {}{}", id, status, reason == null ? "" : ": " + reason);
            if (status == ImageStatus.FAILED) {
                sweep();
            }
        }
    }

    private Long size(String id) {
        try {
            return Long.parseLong(Files.readString(directory.resolve(id).resolve("size")).strip());
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** The builder's last "[srg] ... build failed: ..." line of a build's log, if any. */
    private String lastBuilderLine(String instanceId) {
        try {
            InstanceManager.LogChunk chunk = instances.log(Principal.SYSTEM, instanceId, 0, 4 * 1024 * 1024);
            String text = new String(chunk.bytes(), StandardCharsets.UTF_8);
            String last = null;
            for (String line : text.split("\n")) {
                int at = line.indexOf("build failed: ");
                if (line.startsWith("[srg] ") && at > 0) {
                    last = line.substring(at + "build failed: ".length()).strip();
                }
            }
            return last;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void removeFiles(String id) {
        Path dir = directory.resolve(id);
        if (!Files.exists(dir)) {
            return;
        }
        // out of the way at once (no task finds it any more), then removed
        Path trash = directory.resolve(".deleted-" + id + "-" + UUID.randomUUID());
        try {
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.warn("cannot move {} away: {}", dir, e.toString());
            return;
        }
        deleteTree(trash);
    }

    /** Removes a tree without following links (an image holds links to anywhere). */
    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", root, e.toString());
        }
    }

    private ImageInfo withLog(Principal caller, ImageInfo image) {
        if (image.buildInstanceId() == null) {
            return image;
        }
        try {
            InstanceManager.LogChunk all = instances.log(caller, image.buildInstanceId(), 0, 8 * 1024 * 1024);
            byte[] bytes = all.bytes();
            int from = Math.max(0, bytes.length - LOG_TAIL_BYTES);
            return image.withBuildLog(new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8));
        } catch (SrgException e) {
            return image; // not a member of the build's workspace: no log
        }
    }

    private static Optional<ImageInfo> find(Handle h, String id) {
        return h.createQuery("SELECT * FROM images WHERE id = :id").bind("id", id).map((rs, ctx) -> read(rs)).findOne();
    }

    private static ImageInfo read(ResultSet rs) throws SQLException {
        List<String> packages = new ArrayList<>();
        for (Object p : Json.STORED.readValue(rs.getString("packages"), List.class)) {
            packages.add(String.valueOf(p));
        }
        Timestamp finished = rs.getTimestamp("finished_at");
        long size = rs.getLong("size_bytes");
        Long sizeBytes = rs.wasNull() ? null : size;
        return new ImageInfo(rs.getString("id"), rs.getString("name"), rs.getString("base"), packages,
                rs.getString("build_script"), ImageStatus.valueOf(rs.getString("status")), rs.getString("failure_reason"),
                rs.getString("region_id"), rs.getString("resource_group_id"), rs.getString("workspace_id"),
                rs.getString("build_instance_id"), sizeBytes, rs.getString("created_by"),
                rs.getTimestamp("created_at").toInstant(), finished == null ? null : finished.toInstant(), null);
    }

    /** A workspace associated with the group where the caller may run tasks (a member's first; any, for an administrator). */
    private String workspaceFor(Principal caller, String groupId) {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT a.workspace_id FROM workspace_resource_groups a
                  LEFT JOIN workspace_members m ON m.workspace_id = a.workspace_id AND m.user_id = :user
                 WHERE a.resource_group_id = :g AND (m.user_id IS NOT NULL OR :admin)
                 ORDER BY (m.user_id IS NULL), a.associated_at, a.workspace_id LIMIT 1""")
                .bind("g", groupId).bind("user", caller.userId()).bind("admin", caller.isAdministrator())
                .mapTo(String.class).findOne())
                .orElseThrow(() -> SrgException.invalid("workspaceId", "InvalidParameter.ResourceGroup.NoWorkspace",
                        "an image is built as a task in a workspace: associate group '" + groupId
                                + "' with a workspace you are a member of, or name one in workspaceId"));
    }
}
