// Recent service per tenant on this node (stride scheduling): every lease a tenant gets moves its
// pass on by 1 / weight. When leases held now are equal, the tenant served least recently wins,
// so a tenant with a long backlog cannot win every tie against one that has just arrived.
export class VirtualTime {
  #pass = new Map<string, number>();
  /** The pass of the last tenant served: a newcomer starts here, not at zero (no banked credit). */
  #now = 0;

  pass(tenantId: string): number {
    return Math.max(this.#pass.get(tenantId) ?? 0, this.#now);
  }

  /** Counts one lease given to the tenant. */
  charge(tenantId: string, weight: number): void {
    const pass = this.pass(tenantId);
    this.#now = pass;
    this.#pass.set(tenantId, pass + 1 / weight);
    // Tenants at or behind the current time restart there anyway: keep the map small.
    if (this.#pass.size > 10_000) for (const [id, p] of this.#pass) if (p <= this.#now) this.#pass.delete(id);
  }
}
