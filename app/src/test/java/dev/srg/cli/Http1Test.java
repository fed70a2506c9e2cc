package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's HTTP client over TLS (plain http, chunked streams and problem+json answers are what every
 * other CLI test runs against the real server): a server whose certificate names the host is
 * spoken to, one whose certificate does not is refused, and the bearer token and body arrive.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Http1Test {
    @TempDir
    Path dir;

    @Test
    void speaksTlsAndChecksTheCertificatesHost() throws Exception {
        Path keys = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "srg", "-keyalg", "EC", "-dname", "CN=localhost", "-ext", "san=dns:localhost",
                "-validity", "2", "-keystore", keys.toString(), "-storepass", "secret", "-storetype", "PKCS12")
                .redirectErrorStream(true).start();
        keytool.getInputStream().readAllBytes();
        assertThat(keytool.waitFor()).isZero();
        KeyStore store = KeyStore.getInstance(keys.toFile(), "secret".toCharArray());
        KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        km.init(store, "secret".toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(km.getKeyManagers(), null, null);
        TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tm.init(store);
        SSLContext clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tm.getTrustManagers(), null);

        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        server.createContext("/", exchange -> {
            String seen = exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                    + exchange.getRequestHeaders().getFirst("Authorization") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            byte[] body = seen.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(201, 0);   // 0: chunked
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            Http1 http = new Http1(clientTls::getSocketFactory);
            ApiClient.Response r = http.send("PATCH", "https://localhost:" + port + "/api/v1/x?a=b%20c", "tok", "{\"a\":1}", false);
            try (InputStream in = r.body()) {
                assertThat(r.status()).isEqualTo(201);
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("PATCH /api/v1/x?a=b%20c Bearer tok {\"a\":1}");
            }
            // the certificate names localhost, not 127.0.0.1: refused, as a browser would
            assertThatThrownBy(() -> http.send("GET", "https://127.0.0.1:" + port + "/", "tok", null, false))
                    .isInstanceOf(SSLHandshakeException.class);
        } finally {
            server.stop(0);
        }
    }
}
