package dev.srg.cli;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The login profile: a server URL, its token and the workspace commands use when they name none,
 * in {@code $XDG_CONFIG_HOME/srg/profile} (default {@code ~/.config/srg/profile}), readable by its
 * owner only.
 */
record Profile(String url, String token, String workspace) {
    Profile(String url, String token) {
        this(url, token, null);
    }

    Profile withWorkspace(String w) {
        return new Profile(url, token, w);
    }

    static Path path(Map<String, String> env) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config");
        return config.resolve("srg").resolve("profile");
    }

    static Optional<Profile> load(Map<String, String> env) {
        Path file = path(env);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(Files.readString(file)));
        } catch (IOException e) {
            throw new CliException(1, "cannot read the profile " + file + ": " + ClientCommand.ioReason(e));
        }
        String url = p.getProperty("url");
        String token = p.getProperty("token");
        return url == null || token == null ? Optional.empty() : Optional.of(new Profile(url, token, p.getProperty("workspace")));
    }

    /** Writes a new file with mode 0600 (never widening an old one) and moves it into place. */
    Path save(Map<String, String> env) {
        Path file = path(env);
        try {
            Path dir = Files.createDirectories(file.getParent());
            Path tmp = dir.resolve("profile.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, "url=" + escape(url) + "\ntoken=" + escape(token) + "\n"
                    + (workspace == null ? "" : "workspace=" + escape(workspace) + "\n"));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (FileAlreadyExistsException e) {
            throw new CliException(1, "cannot write the profile: " + e.getFile() + " exists");
        } catch (IOException | UncheckedIOException e) {
            throw new CliException(1, "cannot write the profile " + file + ": " + ClientCommand.ioReason(e));
        }
    }

    static boolean delete(Map<String, String> env) {
        try {
            return Files.deleteIfExists(path(env));
        } catch (IOException e) {
            throw new CliException(1, "cannot delete the profile " + path(env) + ": " + ClientCommand.ioReason(e));
        }
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\n", "").replace("\r", "");
    }
}
