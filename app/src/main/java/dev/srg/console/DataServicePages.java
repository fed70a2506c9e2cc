package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.dataservice.DataServiceManager;
import dev.srg.dataservice.DataServiceManager.ApiInfo;
import dev.srg.dataservice.DataServiceManager.CallPoint;
import dev.srg.error.SrgException;
import dev.srg.store.PageRequest;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;

/** DataService: the APIs of the caller's workspaces, and a page per API with its call chart (SPEC DS-6). */
final class DataServicePages {
    private static final int MINUTES = 60;
    private static final DateTimeFormatter HOUR_MINUTE = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

    private DataServicePages() {}

    static void register(Console c) {
        c.page("/console/dataservice", r -> r.render("dataservice/list.jte", model("page", r.page("DataService", "dataservice"),
                "apis", manager(c).listApis(r.caller, null, null, PageRequest.first(PageRequest.MAX_SIZE)).items(), "names", r.names())));
        c.page("/console/dataservice/apis/{id}", r -> {
            DataServiceManager ds = manager(c);
            ApiInfo api = ds.getApi(r.caller, r.path("id"));
            List<CallPoint> series = ds.callSeries(r.caller, api.id(), MINUTES);
            long calls = series.stream().mapToLong(CallPoint::calls).sum();
            long errors = series.stream().mapToLong(CallPoint::errors).sum();
            String summary = calls + " calls, " + errors + " not 200";
            r.render("dataservice/detail.jte", model("page", r.page(api.name(), "dataservice").crumb("DataService", "/console/dataservice"),
                    "api", api, "chart", chart(series), "summary", summary,
                    "calls", ds.calls(r.caller, api.id(), PageRequest.first(20)).items(), "names", r.names()));
        });
    }

    private static DataServiceManager manager(Console c) {
        if (c.features.dataService() == null) {
            throw new SrgException(404, "Console.NotAvailable", null, "DataService is not served by this server");
        }
        return c.features.dataService().manager();
    }

    /** One bar per minute (200s below, the rest on top), drawn on the server: no script needed to read it. */
    static String chart(List<CallPoint> series) {
        int width = 720;
        int height = 160;
        int left = 40;
        int bottom = 20;
        long max = Math.max(1, series.stream().mapToLong(CallPoint::calls).max().orElse(1));
        double slot = (double) (width - left) / Math.max(1, series.size());
        double scale = (double) (height - bottom - 10) / max;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg class=\"call-chart\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" role=\"img\" aria-label=\"Calls per minute over the last ").append(series.size())
                .append(" minutes, at most ").append(max).append(" a minute\" width=\"100%\" preserveAspectRatio=\"none\">");
        svg.append("<text x=\"0\" y=\"14\" font-size=\"11\" fill=\"currentColor\">").append(max).append("</text>");
        svg.append("<text x=\"0\" y=\"").append(height - bottom).append("\" font-size=\"11\" fill=\"currentColor\">0</text>");
        svg.append("<line x1=\"").append(left).append("\" y1=\"").append(height - bottom).append("\" x2=\"").append(width)
                .append("\" y2=\"").append(height - bottom).append("\" stroke=\"currentColor\" stroke-opacity=\"0.3\"/>");
        for (int i = 0; i < series.size(); i++) {
            CallPoint p = series.get(i);
            double x = left + i * slot;
            double ok = (p.calls() - p.errors()) * scale;
            double bad = p.errors() * scale;
            double base = height - bottom;
            String tip = HOUR_MINUTE.format(p.minute()) + " UTC: " + p.calls() + " calls, " + p.errors() + " not 200"
                    + (p.calls() > 0 ? String.format(Locale.ROOT, ", mean %.1f ms, p99 %.1f ms", p.meanMillis(), p.p99Millis()) : "");
            svg.append("<g class=\"bar\"><title>").append(tip).append("</title>");
            if (ok > 0) {
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#3b82f6\"/>",
                        x + 1, base - ok, Math.max(1, slot - 2), ok));
            }
            if (bad > 0) {
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#dc2626\"/>",
                        x + 1, base - ok - bad, Math.max(1, slot - 2), bad));
            }
            svg.append("</g>");
            if (i % 10 == 0) {
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"currentColor\">%s</text>", x,
                        height - 4, HOUR_MINUTE.format(p.minute())));
            }
        }
        svg.append("</svg>");
        return svg.toString();
    }
}
