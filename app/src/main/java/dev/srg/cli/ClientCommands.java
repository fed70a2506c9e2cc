package dev.srg.cli;

import picocli.CommandLine;

/** The client commands ({@code srg rg|vpc|ws|user|region ...}). */
public final class ClientCommands {
    private ClientCommands() {}

    public static void addTo(CommandLine root) {
        // filled in as the client commands land
    }
}
