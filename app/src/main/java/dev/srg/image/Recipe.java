package dev.srg.image;

import static java.util.Objects.requireNonNull;

import dev.srg.error.SrgException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What an image is made of (SPEC RT-1): a base (a Debian release srg builds, or an AVAILABLE image
 * to layer on), Debian packages to add and a shell script run inside the image at build time. The
 * image's id is a hash of exactly these, so an identical recipe is the same image, built once.
 * Packages are kept sorted and without duplicates: their order changes nothing.
 */
public record Recipe(String base, List<String> packages, String buildScript) {
    public static final int MAX_PACKAGES = 200;
    public static final int MAX_SCRIPT_CHARS = 256 * 1024;
    /** Debian policy 5.6.1: lower case letters, digits, + - . ; at least two characters, starting alphanumerically. */
    static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]{1,127}");
    static final Pattern IMAGE_ID = Pattern.compile("img-[0-9a-f]{24}");

    public Recipe {
        requireNonNull(base, "base is null");
        packages = List.copyOf(new TreeSet<>(packages));
        requireNonNull(buildScript, "buildScript is null");
    }

    /** Checks what a caller sent (400 naming the field); {@code debianBase} is the one Debian base this server builds. */
    public static Recipe of(String base, List<?> packages, Object buildScript, String debianBase) {
        if (base == null || base.isBlank()) {
            throw SrgException.invalid("base", "MissingParameter", "base is required: '" + debianBase
                    + "' or the id of an AVAILABLE image to layer on");
        }
        if (!base.equals(debianBase) && !IMAGE_ID.matcher(base).matches()) {
            throw SrgException.invalid("base", "InvalidParameter.Base", "base must be '" + debianBase
                    + "' (the Debian release this server builds) or the id of an AVAILABLE image (img-...), got '" + base + "'");
        }
        List<String> names = new ArrayList<>();
        if (packages != null) {
            if (packages.size() > MAX_PACKAGES) {
                throw SrgException.invalid("packages", "InvalidParameter.Packages", "at most " + MAX_PACKAGES + " packages");
            }
            for (Object p : packages) {
                if (!(p instanceof String name) || !PACKAGE.matcher(name).matches()) {
                    throw SrgException.invalid("packages", "InvalidParameter.Packages",
                            "a package is a Debian package name (lower case letters, digits, + - .), got '" + p + "'");
                }
                names.add(name);
            }
        }
        if (!names.isEmpty() && !base.equals(debianBase)) {
            throw SrgException.invalid("packages", "InvalidParameter.Packages", "an image layered on another takes no packages "
                    + "(they are installed as root by the archive's scripts, which must never run over a build script's files): "
                    + "add them to a recipe on '" + debianBase + "'");
        }
        String script = "";
        if (buildScript != null) {
            if (!(buildScript instanceof String s)) {
                throw SrgException.invalid("buildScript", "InvalidParameter.BuildScript", "buildScript must be a string");
            }
            if (s.length() > MAX_SCRIPT_CHARS) {
                throw SrgException.invalid("buildScript", "InvalidParameter.BuildScript",
                        "buildScript is longer than " + MAX_SCRIPT_CHARS + " characters");
            }
            if (s.indexOf('\0') >= 0) {
                throw SrgException.invalid("buildScript", "InvalidParameter.BuildScript", "buildScript contains NUL");
            }
            script = s;
        }
        if (names.isEmpty() && script.isBlank() && !base.equals(debianBase)) {
            throw SrgException.invalid("buildScript", "MissingParameter",
                    "an image layered on another needs a buildScript: without one it would be the same image");
        }
        return new Recipe(base, names, script);
    }

    /** Whether the base is an image (a layered recipe). */
    public boolean layered() {
        return IMAGE_ID.matcher(base).matches();
    }

    /** The content address: {@code img-} and 24 hex digits of SHA-256 over the recipe. */
    public String imageId() {
        StringBuilder canonical = new StringBuilder("srg-image-recipe-v1\n").append(base).append('\n');
        packages.forEach(p -> canonical.append(p).append('\n'));
        canonical.append('\0').append(buildScript);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return "img-" + HexFormat.of().formatHex(digest).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean isImageId(String id) {
        return id != null && IMAGE_ID.matcher(id).matches();
    }
}
