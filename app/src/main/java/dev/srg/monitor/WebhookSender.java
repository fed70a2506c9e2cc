package dev.srg.monitor;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One attempt to deliver a stored JSON notice to a webhook, shared by the alert rules' outbox and
 * the budgets' (SPEC MON-4, BEY-3): the same headers ({@code X-Srg-Event-Id} for the receiver to
 * drop a duplicate, {@code X-Srg-Delivery-Attempt}), the same allow-list, the same refused
 * addresses ({@link WebhookTargets}) and the same errors in words. Each outbox keeps its own
 * retries and bookkeeping.
 *
 * <p>HTTP/1.1 over a socket this class connects itself: the host is resolved once, every address
 * checked, and the socket connected to the checked address (TLS still verifies the certificate
 * against the URL's host), so a name cannot resolve to a refused place between the check and the
 * connection. Redirects are never followed; only the status line is read.
 */
public final class WebhookSender implements AutoCloseable {
    /** The most of an answer read: its status line. */
    private static final int MAX_STATUS_LINE = 8192;

    private final Duration timeout;
    private final String userAgent;
    private final Predicate<String> hostAllowed;
    private final WebhookTargets targets;
    private volatile boolean closed;

    /** {@code hostAllowed}: whether a host is on the server's webhook allow-list now; {@code targets}: the addresses refused. */
    public WebhookSender(Duration timeout, String userAgent, Predicate<String> hostAllowed, WebhookTargets targets) {
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.userAgent = requireNonNull(userAgent, "userAgent is null");
        this.hostAllowed = requireNonNull(hostAllowed, "hostAllowed is null");
        this.targets = requireNonNull(targets, "targets is null");
    }

    /** One POST; null when the receiver took it (2xx), else what went wrong, in words. */
    public String send(String url, String eventId, int attempt, String payload) {
        URI uri = URI.create(url);
        String host = uri.getHost();
        if (!hostAllowed.test(host)) {
            return "the host " + host + " is no longer on the allow-list";
        }
        if (closed) {
            return "not sent: the server is stopping";
        }
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() >= 0 ? uri.getPort() : tls ? 443 : 80;
        List<InetAddress> addresses;
        try {
            addresses = targets.resolve(host);
        } catch (UnknownHostException e) {
            return "the host " + host + " does not resolve";
        } catch (WebhookTargets.Refused e) {
            return "not sent: " + e.getMessage() + "; webhooks go to public addresses only (webhook-allowed-cidrs)";
        }
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + timeout.toNanos();
        InetAddress address = addresses.getFirst();
        try (Socket socket = connect(address, port, host, tls)) {
            OutputStream out = socket.getOutputStream();
            out.write(head(uri, host, port, tls, eventId, attempt, body.length).getBytes(StandardCharsets.UTF_8));
            out.write(body);
            out.flush();
            int status = status(socket, deadline);
            if (status >= 200 && status < 300) {
                return null;
            }
            return "the receiver answered HTTP " + status + " (2xx expected"
                    + (status >= 300 && status < 400 ? "; redirects are not followed)" : ")");
        } catch (SocketTimeoutException e) {
            // what an operator can act on, in words (issue 19: "why did the webhook fail?")
            return "no answer within " + timeout.toMillis() + " ms from " + host;
        } catch (java.net.ConnectException e) {
            return "could not connect to " + host + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                    + " (" + (e.getMessage() == null ? "connection refused or unreachable" : e.getMessage()) + ")";
        } catch (IOException e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
    }

    private Socket connect(InetAddress address, int port, String host, boolean tls) throws IOException {
        int millis = (int) Math.max(1, timeout.toMillis());
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(address, port), millis);
            plain.setSoTimeout(millis);
            if (!tls) {
                return plain;
            }
            String name = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
            SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(plain, name, port, true);
            SSLParameters params = ssl.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the URL's host
            if (!address.getHostAddress().equalsIgnoreCase(name) && !name.contains(":")) {
                params.setServerNames(List.of(new SNIHostName(name)));
            }
            ssl.setSSLParameters(params);
            ssl.setSoTimeout(millis);
            ssl.startHandshake();
            return ssl;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private String head(URI uri, String host, int port, boolean tls, String eventId, int attempt, int length) {
        String target = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            target += "?" + uri.getRawQuery();
        }
        String hostHeader = host + ((tls && port == 443) || (!tls && port == 80) ? "" : ":" + port);
        return "POST " + target + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\n"
                + "Content-Type: application/json\r\n"
                + "User-Agent: " + userAgent + "\r\n"
                + "X-Srg-Event-Id: " + eventId + "\r\n"
                + "X-Srg-Delivery-Attempt: " + attempt + "\r\n"
                + "Content-Length: " + length + "\r\n"
                + "Connection: close\r\n\r\n";
    }

    /** The answer's status code, read from its status line within the deadline. */
    private static int status(Socket socket, long deadline) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (System.nanoTime() > deadline) {
                throw new SocketTimeoutException("deadline");
            }
            int b = in.read();
            if (b < 0) {
                throw new IOException("the receiver closed the connection without an answer");
            }
            if (b == '\n') {
                break;
            }
            if (line.size() >= MAX_STATUS_LINE) {
                throw new IOException("the receiver's answer has no HTTP status line");
            }
            line.write(b);
        }
        String[] parts = line.toString(StandardCharsets.ISO_8859_1).strip().split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
            throw new IOException("the receiver's answer is not HTTP/1.x");
        }
        return Integer.parseInt(parts[1]);
    }

    @Override
    public void close() {
        closed = true;
    }
}
