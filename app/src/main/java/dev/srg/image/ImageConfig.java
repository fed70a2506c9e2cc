package dev.srg.image;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How custom images are built and kept (SPEC RT-1; docs/images.md). Resolved with the rest of the
 * server configuration (flag, {@code SRG_...} variable, config file, default).
 *
 * @param quota how many images (of any status) the installation keeps at most
 * @param maxImageBytes the largest an image's file system may be; a build that ends bigger fails
 * @param buildsPerRegion how many builds run at once in one region
 * @param mirror the Debian archive builds install from (by default the host's, from its apt sources)
 * @param suite the Debian release of the base images, e.g. {@code bookworm} (by default the host's)
 * @param baseCache where the base root file systems are cached (one per base and day); empty for
 *     {@code <data dir>/images/.base}
 */
public record ImageConfig(int quota, long maxImageBytes, int buildsPerRegion, String mirror, String suite,
                          Optional<Path> baseCache) {

    public static final Set<String> KEYS = Set.of("image-quota", "image-max-mb", "image-builds-per-region",
            "image-mirror", "image-suite", "image-base-cache");
    public static final int DEFAULT_QUOTA = 50;
    public static final long DEFAULT_MAX_MB = 4096;
    public static final int DEFAULT_BUILDS_PER_REGION = 2;
    private static final Pattern SUITE = Pattern.compile("[a-z]{2,20}");
    private static final Pattern MIRROR = Pattern.compile("https?://[A-Za-z0-9._:/~+-]+");

    public ImageConfig {
        if (quota < 0) {
            throw new IllegalArgumentException("image quota must not be negative: " + quota);
        }
        if (maxImageBytes < 1) {
            throw new IllegalArgumentException("the image size limit must be positive: " + maxImageBytes);
        }
        if (buildsPerRegion < 1) {
            throw new IllegalArgumentException("builds per region must be at least 1: " + buildsPerRegion);
        }
        requireNonNull(mirror, "mirror is null");
        requireNonNull(suite, "suite is null");
        requireNonNull(baseCache, "baseCache is null");
        if (!MIRROR.matcher(mirror).matches()) {
            throw new IllegalArgumentException("the image mirror is an http(s) URL: " + mirror);
        }
        if (!SUITE.matcher(suite).matches()) {
            throw new IllegalArgumentException("the image suite is a Debian code name such as bookworm: " + suite);
        }
    }

    /** The defaults on this host: its Debian archive and release, 50 images, 4 GiB each, 2 builds per region. */
    public static ImageConfig defaults() {
        return new ImageConfig(DEFAULT_QUOTA, DEFAULT_MAX_MB * 1024 * 1024, DEFAULT_BUILDS_PER_REGION, hostMirror(), hostSuite(),
                Optional.empty());
    }

    public ImageConfig withQuota(int newQuota) {
        return new ImageConfig(newQuota, maxImageBytes, buildsPerRegion, mirror, suite, baseCache);
    }

    public ImageConfig withMaxImageBytes(long bytes) {
        return new ImageConfig(quota, bytes, buildsPerRegion, mirror, suite, baseCache);
    }

    public ImageConfig withBaseCache(Path dir) {
        return new ImageConfig(quota, maxImageBytes, buildsPerRegion, mirror, suite, Optional.of(dir));
    }

    /** The base this server builds from: {@code debian-<suite>-slim}. */
    public String debianBase() {
        return "debian-" + suite + "-slim";
    }

    /** Reads the keys of {@link #KEYS} through {@code get}; adds what is wrong to {@code problems}. */
    public static ImageConfig resolve(Function<String, String> get, List<String> problems) {
        ImageConfig d = defaults();
        int quota = number(problems, "image-quota", get.apply("image-quota"), d.quota(), 0, 100_000);
        long maxMb = number(problems, "image-max-mb", get.apply("image-max-mb"), DEFAULT_MAX_MB, 1, 1_048_576);
        int builds = number(problems, "image-builds-per-region", get.apply("image-builds-per-region"), d.buildsPerRegion(), 1, 64);
        String mirror = orDefault(get.apply("image-mirror"), d.mirror());
        if (!MIRROR.matcher(mirror).matches()) {
            problems.add("image-mirror must be an http(s) URL of a Debian archive, got '" + mirror + "'");
            mirror = d.mirror();
        }
        String suite = orDefault(get.apply("image-suite"), d.suite());
        if (!SUITE.matcher(suite).matches()) {
            problems.add("image-suite must be a Debian code name such as bookworm, got '" + suite + "'");
            suite = d.suite();
        }
        String cache = get.apply("image-base-cache");
        return new ImageConfig(quota, maxMb * 1024 * 1024, builds, mirror, suite,
                cache == null || cache.isBlank() ? Optional.empty() : Optional.of(Path.of(cache).toAbsolutePath().normalize()));
    }

    private static int number(List<String> problems, String key, String value, long fallback, long min, long max) {
        if (value == null || value.isBlank()) {
            return Math.toIntExact(fallback);
        }
        try {
            long v = Long.parseLong(value.strip());
            if (v < min || v > max) {
                problems.add(key + " must be " + min + " to " + max + ", got " + v);
                return Math.toIntExact(fallback);
            }
            return Math.toIntExact(v);
        } catch (NumberFormatException e) {
            problems.add(key + " must be a number, got '" + value + "'");
            return Math.toIntExact(fallback);
        }
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value.strip();
    }

    /** The first {@code deb} archive of the host's apt sources (deb822 or one-line), or Debian's. */
    static String hostMirror() {
        Pattern deb822 = Pattern.compile("(?m)^URIs:\\s*(\\S+)");
        Pattern oneLine = Pattern.compile("(?m)^deb\\s+(?:\\[[^]]*]\\s+)?(\\S+)\\s+\\S+");
        for (Path file : sourceFiles()) {
            try {
                String text = Files.readString(file);
                Matcher m = (file.toString().endsWith(".sources") ? deb822 : oneLine).matcher(text);
                while (m.find()) {
                    String uri = m.group(1);
                    if (MIRROR.matcher(uri).matches() && !uri.contains("security")) {
                        return uri;
                    }
                }
            } catch (IOException e) {
                // not readable: the next one
            }
        }
        return "http://deb.debian.org/debian";
    }

    /** The host's Debian code name (VERSION_CODENAME of /etc/os-release), or bookworm. */
    static String hostSuite() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("VERSION_CODENAME=")) {
                    String name = line.substring("VERSION_CODENAME=".length()).replace("\"", "").strip();
                    if (SUITE.matcher(name).matches()) {
                        return name;
                    }
                }
            }
        } catch (IOException e) {
            // not Debian-like
        }
        return "bookworm";
    }

    private static List<Path> sourceFiles() {
        List<Path> files = new java.util.ArrayList<>();
        files.add(Path.of("/etc/apt/sources.list"));
        try (var list = Files.list(Path.of("/etc/apt/sources.list.d"))) {
            list.filter(p -> p.toString().endsWith(".list") || p.toString().endsWith(".sources")).sorted().forEach(files::add);
        } catch (IOException e) {
            // none
        }
        return files;
    }
}
