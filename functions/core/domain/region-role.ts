/**
 * Which region of a multi-region table accepts writes (docs/regions.md). Global tables replicate asynchronously and
 * settle conflicts item by item, last writer wins: a conditional stock decrement protects only within the region that
 * evaluates it. So exactly one region writes at a time, and the role says which, under an epoch that every promotion
 * bumps: a write checks the role in its own region, in the same transaction where it can, so a region that has
 * learnt of a newer epoch refuses the writes its functions still attempt.
 */
export interface RegionRole {
  /** The region that writes, or is about to (while `state` is `draining`). */
  readonly activeRegion: string;
  /** Bumped by every promotion; 0 is the deployment's initial role, which no item records. */
  readonly epoch: number;
  /**
   * `draining`: a promotion has fenced the old active region and waits for its last writes to replicate; nobody
   * writes. `active`: `activeRegion` writes.
   */
  readonly state: 'active' | 'draining';
  /** When `activeRegion` took over (ISO 8601): an in-flight order last written before it has no live execution there. */
  readonly changedAt: string;
  /** The region that was active before, for the runbook's timeline. */
  readonly previousRegion?: string;
}

/** The role before any promotion: the primary region writes. No item records it (see `regionRoleCondition`). */
export function initialRole(primaryRegion: string): RegionRole {
  return { activeRegion: primaryRegion, epoch: 0, state: 'active', changedAt: new Date(0).toISOString() };
}

export function writesIn(role: RegionRole, region: string): boolean {
  return role.activeRegion === region && role.state === 'active';
}

/** The role a promotion writes first, in the old active region when it answers: nobody writes until the lag drained. */
export function drainingRole(current: RegionRole, to: string, now: Date): RegionRole {
  return {
    activeRegion: to,
    epoch: current.epoch + 1,
    state: 'draining',
    changedAt: now.toISOString(),
    previousRegion:
      current.state === 'draining' ? (current.previousRegion ?? current.activeRegion) : current.activeRegion,
  };
}

/** The role that lets `to` write: the epoch after `current`'s, or `current`'s own when it is the draining step. */
export function promotedRole(current: RegionRole, to: string, now: Date): RegionRole {
  const draining = current.state === 'draining' && current.activeRegion === to;
  return {
    activeRegion: to,
    epoch: draining ? current.epoch : current.epoch + 1,
    state: 'active',
    changedAt: now.toISOString(),
    previousRegion: draining ? (current.previousRegion ?? current.activeRegion) : current.activeRegion,
  };
}
