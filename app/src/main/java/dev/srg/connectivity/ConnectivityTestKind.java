package dev.srg.connectivity;

import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import dev.srg.execution.LaunchCommand;
import dev.srg.execution.TaskKind;
import dev.srg.quantity.ComputeUnits;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CONNECTIVITY_TEST (SPEC NET-8, DI-1): one TCP connection from inside the group's network, as a
 * task of its own usage type, so that it is admitted, counted (ADM-1) and is activity (RG-7) like
 * any other work. It resolves the host the way a task does (the task's hosts file, then its
 * resolver), connects with a 5 s limit and prints {@code key=value} lines that
 * {@link ConnectivityTests} reads back.
 */
public final class ConnectivityTestKind implements TaskKind {
    public static final String NAME = "CONNECTIVITY_TEST";
    /** Its own CU: the smallest step, and never more. */
    public static final ComputeUnits CU = ComputeUnits.ofMilli(ComputeUnits.GRANULE_MILLI);
    static final int CONNECT_TIMEOUT_SECONDS = 5;
    /** A DNS name or an IPv4 address: letters, digits, dots, dashes (nothing a shell or getent could misread). */
    static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?");

    static final String SCRIPT = """
            host=$1 port=$2
            if [[ $host =~ ^[0-9.]+$ ]]; then
              addr=$host
            else
              addr=$(getent ahostsv4 "$host" 2>/dev/null | awk 'NR==1 {print $1}')
            fi
            echo "resolved=$addr"
            if [[ -z $addr ]]; then echo "result=unresolved"; exit 0; fi
            start=$EPOCHREALTIME
            if out=$(timeout %d bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$addr" "$port" 2>&1); then rc=0; else rc=$?; fi
            end=$EPOCHREALTIME
            echo "latency_us=$(( 10#${end/./} - 10#${start/./} ))"
            if (( rc == 0 )); then echo "result=open"
            elif (( rc == 124 )); then echo "result=timeout"
            else out=${out##*: }; echo "result=error"; echo "error=${out//$'\\n'/ }"
            fi
            """.formatted(CONNECT_TIMEOUT_SECONDS);

    @Override
    public String name() {
        return NAME;
    }

    /** Not advised on (SPEC BEY-4): a check srg runs at a fixed size, not a task a user sizes. */
    @Override
    public boolean rightSized() {
        return false;
    }

    @Override
    public UsageType usageType() {
        return UsageType.CONNECTIVITY_TEST;
    }


    @Override
    public ComputeUnits maxCu() {
        return CU;
    }


    @Override
    public Map<String, Object> payload(Map<String, Object> submittedFields) {
        TaskKind.requireOnly(submittedFields, java.util.Set.of("host", "port"), "a connectivity test", "a host and a port");
        Object host = submittedFields.get("host");
        if (!(host instanceof String h) || h.isBlank()) {
            throw SrgException.invalid("host", "MissingParameter", "host is required (a name or an IPv4 address)");
        }
        if (!HOST.matcher(h).matches()) {
            throw SrgException.invalid("host", "InvalidParameter.Host", "host must be a DNS name or an IPv4 address, got '" + h + "'");
        }
        Object port = submittedFields.get("port");
        if (port == null) {
            throw SrgException.invalid("port", "MissingParameter", "port is required (1 to 65535)");
        }
        if (!(port instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < 1 || n.intValue() > 65535) {
            throw SrgException.invalid("port", "InvalidParameter.Port", "port must be a whole number from 1 to 65535, got " + port);
        }
        return Map.of("host", h, "port", n.intValue());
    }

    @Override
    public LaunchCommand command(Map<String, Object> payload) {
        return new LaunchCommand(java.util.List.of("bash", "probe.sh", String.valueOf(payload.get("host")),
                String.valueOf(payload.get("port"))), Map.of("probe.sh", SCRIPT), Map.of());
    }
}
