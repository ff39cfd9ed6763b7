// Fair-share weights per tenant tier: a tenant's share of busy workers is proportional to its
// weight, so under contention an enterprise tenant runs four tasks for a basic tenant's one.
import type { TenantTier } from "../tenancy/tiers.js";

export const TIER_WEIGHTS: Readonly<Record<TenantTier, number>> = Object.freeze({ basic: 1, professional: 2, enterprise: 4 });

/** The weight of a tier name read from the store; an unknown name weighs like the lowest tier. */
export function tierWeight(tier: string): number {
  return (TIER_WEIGHTS as Record<string, number | undefined>)[tier] ?? 1;
}
