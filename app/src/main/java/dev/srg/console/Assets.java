package dev.srg.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The console's CSS and scripts, read once from the jar (htmx and Chart.js from their WebJars) and
 * served under a path that carries a hash of their contents, so browsers may cache them for good.
 */
final class Assets {
    record Asset(byte[] bytes, String contentType) {}

    private final Map<String, Asset> assets = new LinkedHashMap<>();
    private final String version;

    Assets() {
        add("console.css", "dev/srg/console/static/console.css", "text/css; charset=utf-8");
        add("console.js", "dev/srg/console/static/console.js", "text/javascript; charset=utf-8");
        add("htmx.min.js", webjar("htmx.org", "dist/htmx.min.js"), "text/javascript; charset=utf-8");
        add("chart.umd.min.js", webjar("chart.js", "dist/chart.umd.min.js"), "text/javascript; charset=utf-8");
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            assets.values().forEach(a -> md.update(a.bytes()));
            version = HexFormat.of().formatHex(md.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String version() {
        return version;
    }

    Asset get(String name) {
        return assets.get(name);
    }

    private void add(String name, String resource, String contentType) {
        assets.put(name, new Asset(read(resource), contentType));
    }

    /** The path of a file in a WebJar of the npm group, at the version on the class path. */
    private static String webjar(String artifact, String file) {
        Properties p = new Properties();
        String pom = "META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
        try (InputStream in = resource(pom)) {
            p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "META-INF/resources/webjars/" + artifact + "/" + p.getProperty("version") + "/" + file;
    }

    private static byte[] read(String resource) {
        try (InputStream in = resource(resource)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = Assets.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("the console's resource " + name + " is missing from the class path");
        }
        return in;
    }
}
