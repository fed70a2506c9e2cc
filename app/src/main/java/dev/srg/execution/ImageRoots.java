package dev.srg.execution;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a custom image's root file system is on this machine (SPEC RT-1), for backends that run
 * tasks in it; empty when the image is not AVAILABLE here. Backends know image ids, not the store.
 */
@FunctionalInterface
public interface ImageRoots {
    /** No images at all. */
    ImageRoots NONE = imageId -> Optional.empty();

    Optional<Path> root(String imageId);
}
