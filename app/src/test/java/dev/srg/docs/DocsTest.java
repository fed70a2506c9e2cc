package dev.srg.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.Main;
import dev.srg.monitor.MonitorConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The documentation a user reads agrees with the code (issue 19): every command is in docs/cli.md,
 * every rule an error message or a page cites is in docs/rules.md, every link leads somewhere in
 * the repository, and every setting docs/monitoring.md lists is one the server reads.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class DocsTest {
    private static final Path ROOT = repositoryRoot();
    private static final Pattern RULE_ID = Pattern.compile("\\b(ACC|NET|RG|WS|ADM|MON|RT|HA|DI|DS|BEY)-\\d+\\b");

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("docs"))) {
                return p;
            }
        }
        throw new IllegalStateException("no README.md with docs/ above " + Path.of("").toAbsolutePath());
    }

    private static String read(String relative) throws IOException {
        return Files.readString(ROOT.resolve(relative));
    }

    @Test
    @DisplayName("docs/cli.md lists every command srg has, under its full name")
    void cliDocsCoverEveryCommand() throws IOException {
        String doc = read("docs/cli.md");
        String block = doc.substring(doc.indexOf("## Commands"));
        block = block.substring(block.indexOf("```") + 3);
        block = block.substring(0, block.indexOf("```"));
        Set<String> documented = new HashSet<>();
        for (String line : block.lines().toList()) {
            String[] segments = line.strip().split(" \\| ");
            if (!segments[0].startsWith("srg ")) {
                continue;
            }
            String[] words = segments[0].split("\\s+");
            documented.add(words[1]);
            if (words.length > 2) {
                documented.add(words[1] + " " + words[2]);
            }
            for (int i = 1; i < segments.length; i++) {
                documented.add(words[1] + " " + segments[i].strip().split("\\s+")[0]);
            }
        }
        Set<String> missing = new TreeSet<>();
        for (String command : leaves(Main.commandLine(), "")) {
            if (!documented.contains(command)) {
                missing.add("srg " + command);
            }
        }
        assertThat(missing).as("commands missing from docs/cli.md's Commands block").isEmpty();
    }

    @Test
    @DisplayName("every command's --help renders without a picocli warning (a lone % in a description is one)")
    void everyHelpRendersWithoutWarnings() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        List<String> rendered = new ArrayList<>();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            renderHelp(Main.commandLine(), rendered);
        } finally {
            System.setErr(saved);
        }
        assertThat(rendered).hasSizeGreaterThan(50);
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("picocli");
        assertThat(rendered).anyMatch(help -> help.contains("15% off years")).anyMatch(help -> help.contains("20% margin"))
                .anyMatch(help -> help.contains("(0.8 = 80%)"));
    }

    private static void renderHelp(CommandLine cl, List<String> rendered) {
        rendered.add(cl.getUsageMessage());
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName())) {
                renderHelp(sub, rendered);
            }
        });
    }

    /** "rg quotas", "run", ...: every command without subcommands, by its full name (help and hidden ones left out). */
    private static List<String> leaves(CommandLine cl, String prefix) {
        List<String> names = new ArrayList<>();
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals(sub.getCommandName()) || name.equals("help") || sub.getCommandSpec().usageMessage().hidden()) {
                return; // an alias, or not for users
            }
            String full = (prefix + " " + name).strip();
            if (sub.getSubcommands().isEmpty()) {
                names.add(full);
            } else {
                names.addAll(leaves(sub, full));
            }
        });
        return names;
    }

    @Test
    @DisplayName("every rule a message cites (docs/rules.md#ID) or a page names is an anchor in docs/rules.md")
    void citedRulesExist() throws IOException {
        String rules = read("docs/rules.md");
        Set<String> anchors = new HashSet<>();
        Matcher a = Pattern.compile("<a id=\"([A-Z]+-\\d+)\"></a>\\*\\*\\1\\*\\*").matcher(rules);
        while (a.find()) {
            anchors.add(a.group(1));
        }
        assertThat(anchors).contains("ADM-2", "RG-6", "BEY-6", "NET-4");

        Set<String> cited = new TreeSet<>();
        Pattern link = Pattern.compile("docs/rules\\.md#([A-Z]+-\\d+)");
        try (Stream<Path> sources = Files.walk(ROOT.resolve("app/src/main"))) {
            for (Path source : sources.filter(Files::isRegularFile).toList()) {
                Matcher m = link.matcher(Files.readString(source));
                while (m.find()) {
                    cited.add(m.group(1));
                }
            }
        }
        assertThat(cited).as("rules cited by the server's messages").isNotEmpty();
        for (Path page : pages()) {
            Matcher m = RULE_ID.matcher(Files.readString(page));
            while (m.find()) {
                cited.add(m.group());
            }
        }
        assertThat(cited).as("rules cited but not in docs/rules.md").allMatch(anchors::contains);
    }

    @Test
    @DisplayName("no message cites the internal SPEC file: users have docs/rules.md")
    void messagesCiteRulesNotTheSpec() throws IOException {
        Pattern spec = Pattern.compile("\"[^\"\\n]*\\(SPEC [A-Z]+-\\d+[^\"\\n]*\"");
        List<String> found = new ArrayList<>();
        try (Stream<Path> sources = Files.walk(ROOT.resolve("app/src/main"))) {
            for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = spec.matcher(Files.readString(source));
                while (m.find()) {
                    found.add(ROOT.relativize(source) + ": " + m.group());
                }
            }
        }
        assertThat(found).isEmpty();
    }

    @Test
    @DisplayName("every relative link in README.md and docs/ leads to a file in the repository (no ../shared)")
    void linksLeadInsideTheRepository() throws IOException {
        Pattern markdownLink = Pattern.compile("\\]\\(([^)\\s]+)\\)");
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            Matcher m = markdownLink.matcher(Files.readString(page));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*") || target.startsWith("#")) {
                    continue;
                }
                Path file = page.getParent().resolve(target.replaceFirst("#.*", "")).normalize();
                if (!file.startsWith(ROOT) || !Files.exists(file)) {
                    broken.add(ROOT.relativize(page) + " -> " + target);
                }
            }
        }
        assertThat(broken).isEmpty();
    }

    @Test
    @DisplayName("docs/monitoring.md lists settings the server reads, with flags srg server has")
    void monitoringSettingsExist() throws IOException {
        String doc = read("docs/monitoring.md");
        Set<String> serverFlags = serverFlags();
        int rows = 0;
        for (String line : doc.lines().toList()) {
            Matcher row = Pattern.compile("^\\| (`[a-z-]+`(?:, `[a-z-]+`)*) \\|([^|]*)\\|").matcher(line);
            if (!row.find()) {
                continue;
            }
            rows++;
            for (String key : row.group(1).replace("`", "").split(", ")) {
                assertThat(MonitorConfig.KEYS).as("docs/monitoring.md's setting " + key).contains(key);
            }
            Matcher flag = Pattern.compile("`(--[a-z-]+)`").matcher(row.group(2));
            while (flag.find()) {
                assertThat(serverFlags).as("docs/monitoring.md's flag " + flag.group(1)).contains(flag.group(1));
            }
        }
        assertThat(rows).as("rows of docs/monitoring.md's settings table").isGreaterThanOrEqualTo(5);
    }

    @Test
    @DisplayName("the README's table of server settings names flags srg server has")
    void readmeServerFlagsExist() throws IOException {
        String readme = read("README.md");
        String table = readme.substring(readme.indexOf("| setting | flag | environment | default |"));
        table = table.substring(0, table.indexOf("\n\n"));
        Set<String> named = new TreeSet<>();
        for (String row : table.lines().skip(2).toList()) {
            Matcher flag = Pattern.compile("`(--[a-z-]+)").matcher(row.split("(?<!\\\\)\\|")[2]);
            while (flag.find()) {
                named.add(flag.group(1));
            }
        }
        assertThat(named).hasSizeGreaterThan(10);
        assertThat(serverFlags()).containsAll(named);
    }

    private static Set<String> serverFlags() {
        Set<String> flags = new HashSet<>();
        Main.commandLine().getSubcommands().get("server").getCommandSpec().options().forEach(o -> flags.addAll(List.of(o.names())));
        return flags;
    }

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }
}
