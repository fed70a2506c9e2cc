package dev.srg.console;

import java.util.List;

/**
 * What the layout of every page needs: the title, which section of the navigation is current,
 * the viewer, the session's CSRF token (put in every form) and a one-time message.
 */
public record Page(String title, String section, Viewer viewer, String csrf, Flash flash, List<Crumb> crumbs,
                   String assetVersion) {
    public record Crumb(String label, String href) {}

    public Page {
        crumbs = List.copyOf(crumbs);
    }

    public Page crumb(String label, String href) {
        var list = new java.util.ArrayList<>(crumbs);
        list.add(new Crumb(label, href));
        return new Page(title, section, viewer, csrf, flash, list, assetVersion);
    }

    public boolean signedIn() {
        return viewer != null;
    }

    /** The htmx header that carries the CSRF token on every htmx request. */
    public String htmxHeaders() {
        return "{\"X-CSRF-Token\": \"" + csrf + "\"}";
    }

    public String asset(String name) {
        return "/console/assets/" + assetVersion + "/" + name;
    }
}
