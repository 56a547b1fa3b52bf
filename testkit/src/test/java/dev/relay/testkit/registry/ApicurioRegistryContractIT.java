package dev.relay.testkit.registry;

import dev.relay.testkit.RelayStackExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The registry contract against the real Apicurio Registry (ccompat API). */
@Tag("integration")
class ApicurioRegistryContractIT extends SchemaRegistryContract {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    @Override
    String url() {
        return STACK.registryUrl();
    }
}
