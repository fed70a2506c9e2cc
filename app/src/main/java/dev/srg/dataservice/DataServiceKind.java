package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.UsageType;
import dev.srg.datasource.SecretBox;
import dev.srg.error.SrgException;
import dev.srg.execution.LaunchCommand;
import dev.srg.execution.NetworkContext;
import dev.srg.execution.TaskKind;
import dev.srg.execution.WorkShape;
import dev.srg.quantity.ComputeUnits;
import dev.srg.sync.SyncRuntime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The DataService worker as a service instance (SPEC DS-5, ADM-1): usage type DATA_SERVICE, shape
 * SERVICE (it holds its CU until stopped and is restarted when it dies). srg starts one per
 * workspace and resource group when an API is published or tested there ({@link ServiceInstances});
 * its payload is only which service it is. No credential is in its launch: each call brings the
 * data source's connection over the worker's socket.
 */
public final class DataServiceKind implements TaskKind {
    public static final String NAME = "DATA_SERVICE";
    static final String FIELD = "dataService";
    /** A random word per service instance, from which (with srg's key) its worker's secret is derived. */
    static final String GENERATION = "generation";

    static final ComputeUnits MAX_CU = ComputeUnits.ofCu(16);

    private final SyncRuntime runtime;
    private final SecretBox secrets;

    public DataServiceKind(SyncRuntime runtime, SecretBox secrets) {
        this.runtime = requireNonNull(runtime, "runtime is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public UsageType usageType() {
        return UsageType.DATA_SERVICE;
    }

    @Override
    public WorkShape shape() {
        return WorkShape.SERVICE;
    }

    @Override
    public ComputeUnits maxCu() {
        return MAX_CU;
    }


    @Override
    public Map<String, Object> payload(Map<String, Object> submittedFields) {
        TaskKind.requireOnly(submittedFields, Set.of(FIELD, GENERATION), "a DATA_SERVICE instance", "nothing: srg starts it when an API is"
                + " published (POST /api/v1/dataservice/apis/{id}/publish)");
        if (!(submittedFields.get(FIELD) instanceof String service)) {
            throw SrgException.invalid("type", "InvalidParameter.Type", "DATA_SERVICE instances are started by srg when an API is"
                    + " published (POST /api/v1/dataservice/apis/{id}/publish), not submitted");
        }
        return submittedFields.get(GENERATION) instanceof String generation ? Map.of(FIELD, service, GENERATION, generation)
                : Map.of(FIELD, service);
    }

    /**
     * The worker's secret is a launch file (on Kubernetes: in the Pod's Secret, like every launch
     * file; locally: in its home, 0700): a worker reached over TCP admits only srg with it.
     */
    @Override
    public LaunchCommand command(Map<String, Object> payload) {
        return new LaunchCommand(runtime.argvOf(DataServiceMain.class.getName(), List.of(WorkerProtocol.SOCKET)),
                Map.of(WorkerProtocol.KEY_FILE, Base64.getEncoder().encodeToString(workerSecret(secrets, payload))), Map.of());
    }

    /** The secret of the service instance with {@code payload}: derived, never stored (nor in the payload, which the API shows). */
    static byte[] workerSecret(SecretBox secrets, Map<String, Object> payload) {
        return secrets.derive("dataservice-worker\0" + payload.get(FIELD) + "\0" + payload.getOrDefault(GENERATION, ""));
    }

    /**
     * SPEC NET-6, DS-5: an API's queries leave through the group's first VPC binding only (the one
     * that can never be removed), not every VPC bound later. Private DNS records stay as they are:
     * a name of another VPC resolves, and its address is refused like any outside the binding.
     */
    @Override
    public NetworkContext network(NetworkContext ofGroup) {
        return firstBinding(ofGroup);
    }

    static NetworkContext firstBinding(NetworkContext ofGroup) {
        return ofGroup.vpcs().size() <= 1 ? ofGroup : new NetworkContext(ofGroup.vpcs().subList(0, 1), ofGroup.dnsRecords());
    }

    @Override
    public String toString() {
        return NAME;
    }
}
