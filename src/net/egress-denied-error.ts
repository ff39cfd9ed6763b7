// The refusal of an outbound connection by an egress policy: never retryable (the same policy
// refuses the same address again), and it names the host, the address and the rule that refused.
import { SynergyMeshError } from "../core/errors.js";

export class EgressDeniedError extends SynergyMeshError {
  readonly host: string;
  readonly address: string | undefined;
  readonly rule: string;

  constructor(host: string, address: string | undefined, rule: string) {
    const target = address === undefined || address === host ? host : `${host} (${address})`;
    super("EGRESS_DENIED", `egress to ${target} refused: ${rule}`, { host, ...(address === undefined ? {} : { address }), rule });
    this.host = host;
    this.address = address;
    this.rule = rule;
  }
}
