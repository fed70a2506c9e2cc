package dev.srg.image;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import dev.srg.execution.LaunchCommand;
import dev.srg.execution.TaskKind;
import dev.srg.quantity.ComputeUnits;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * IMAGE_BUILD (SPEC RT-1): builds one image as a task on a resource group, so that it is admitted,
 * holds its CU, is billed and is activity like any other work. Its command is srg's builder
 * ({@code image-build.sh}), run as root by the backend ({@link LaunchCommand#imageBuilder()}); the
 * payload is the recipe, accepted only for an image that is BUILDING with exactly that recipe (its
 * id is the recipe's hash), so a submission of this kind can only ever build what {@link ImageManager}
 * asked for.
 */
public final class ImageBuildKind implements TaskKind {
    public static final String NAME = "IMAGE_BUILD";
    public static final ComputeUnits MAX_CU = ComputeUnits.ofCu(8);
    private static final String SCRIPT_RESOURCE = "image-build.sh";

    private final ImageConfig config;
    private final Path imagesDirectory;
    private final Path baseCache;
    private final Predicate<String> building;
    private final String builderScript;

    /**
     * @param building whether an image id is BUILDING in the store (the only images this kind builds)
     */
    public ImageBuildKind(ImageConfig config, Path imagesDirectory, Predicate<String> building) {
        this.config = requireNonNull(config, "config is null");
        this.imagesDirectory = requireNonNull(imagesDirectory, "imagesDirectory is null").toAbsolutePath().normalize();
        this.baseCache = config.baseCache().orElse(this.imagesDirectory.resolve(".base"));
        this.building = requireNonNull(building, "building is null");
        try (InputStream in = ImageBuildKind.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + SCRIPT_RESOURCE + " is missing");
            }
            this.builderScript = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Not advised on (SPEC BEY-4): a build srg submits for an image, not a task a user schedules. */
    @Override
    public boolean rightSized() {
        return false;
    }

    @Override
    public UsageType usageType() {
        return UsageType.SCHEDULING;
    }


    @Override
    public ComputeUnits maxCu() {
        return MAX_CU;
    }


    @Override
    public Map<String, Object> payload(Map<String, Object> submittedFields) {
        TaskKind.requireOnly(submittedFields, Set.of("imageId", "base", "packages", "buildScript"), "an image build",
                "a recipe (use POST /images)");
        Object id = submittedFields.get("imageId");
        Object base = submittedFields.get("base");
        Object packages = submittedFields.get("packages");
        if (!(base instanceof String b) || !(packages == null || packages instanceof List<?>)) {
            throw SrgException.invalid("base", "InvalidParameter.Base", "an image build takes a recipe: use POST /images");
        }
        Recipe recipe = Recipe.of(b, (List<?>) packages, submittedFields.get("buildScript"), config.debianBase());
        if (!(id instanceof String imageId) || !imageId.equals(recipe.imageId()) || !building.test(imageId)) {
            throw SrgException.invalid("imageId", "InvalidParameter.ImageId",
                    "an image build is started by POST /images, for the image it creates; not submitted directly");
        }
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("imageId", imageId);
        payload.put("base", recipe.base());
        payload.put("packages", recipe.packages());
        payload.put("buildScript", recipe.buildScript());
        return payload;
    }

    @Override
    public LaunchCommand command(Map<String, Object> payload) {
        String imageId = String.valueOf(payload.get("imageId"));
        if (!Recipe.isImageId(imageId)) {
            throw new IllegalArgumentException("not an image id: " + imageId);
        }
        String base = String.valueOf(payload.get("base"));
        Object packages = payload.get("packages");
        StringBuilder list = new StringBuilder();
        if (packages instanceof List<?> names) {
            names.forEach(n -> list.append(n).append('\n'));
        }
        Object script = payload.get("buildScript");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SRG_IMAGE_ID", imageId);
        env.put("SRG_IMAGES", imagesDirectory.toString());
        env.put("SRG_IMAGE_BASE", Recipe.isImageId(base) ? base : config.suite());
        env.put("SRG_IMAGE_MIRROR", config.mirror());
        env.put("SRG_IMAGE_CACHE", baseCache.toString());
        env.put("SRG_IMAGE_MAX_BYTES", Long.toString(config.maxImageBytes()));
        return new LaunchCommand(List.of("bash", SCRIPT_RESOURCE),
                Map.of(SCRIPT_RESOURCE, builderScript, "packages", list.toString(),
                        "build-script.sh", script instanceof String s ? s : ""), env, true);
    }
}
