package dev.srg.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Debian's {@code chromium} driven by Playwright (which never downloads a browser), a page at
 * laptop size, and screenshots at laptop and phone widths in {@code target/screenshots/}.
 */
public final class Chromium implements AutoCloseable {
    static final Path EXECUTABLE = Paths.get("/usr/bin/chromium");
    static final Path SHOTS = Paths.get("target", "screenshots");

    final Playwright playwright;
    final Browser browser;
    final BrowserContext laptop;
    public final Page page;

    private Chromium() {
        try {
            Files.createDirectories(SHOTS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(EXECUTABLE).setHeadless(true)
                .setArgs(List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync")));
        laptop = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 800));
        laptop.setDefaultTimeout(15_000);
        page = laptop.newPage();
    }

    public static boolean available() {
        return Files.isExecutable(EXECUTABLE);
    }

    public static Chromium launch() {
        return new Chromium();
    }

    public static void signIn(Page p, String baseUrl, String name, String password) {
        p.navigate(baseUrl + "/console/sign-in");
        p.getByLabel("User name").fill(name);
        p.locator("input[name=password]").fill(password);
        p.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
    }

    /** The page now at laptop width, and the same URL at phone width, which must not scroll sideways. */
    public void shoot(String name) {
        shoot(name, p -> {});
    }

    /** As {@link #shoot(String)}, with {@code prepare} run on the phone's page first (e.g. choosing a chart window). */
    void shoot(String name, Consumer<Page> prepare) {
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name + "-1280.png")));
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name + "-full-1280.png")).setFullPage(true));
        try (BrowserContext phone = browser.newContext(new Browser.NewContextOptions().setViewportSize(375, 812)
                .setStorageState(laptop.storageState()))) {
            Page p = phone.newPage();
            p.navigate(page.url());
            p.waitForLoadState();
            prepare.accept(p);
            p.waitForTimeout(600);
            p.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name + "-375.png")));
            Object width = p.evaluate("() => document.documentElement.scrollWidth");
            Object wide = p.evaluate("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376)"
                    + ".filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > 376)).slice(0, 5)"
                    + ".map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')");
            assertThat(((Number) width).intValue()).as("%s is wider than a phone: %s", name, wide).isLessThanOrEqualTo(375);
            p.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name + "-full-375.png")).setFullPage(true));
        }
    }

    @Override
    public void close() {
        browser.close();
        playwright.close();
    }
}
