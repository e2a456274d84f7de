/**
 * What every service of the emulated account knows: the region and account its ARNs name, and the
 * emulator's clock (virtual in the benchmark, so timestamps follow model time).
 */
export abstract class RegionalService {
  protected readonly region: string;
  protected readonly accountId: string;
  protected readonly now: () => number;

  constructor(region: string, accountId: string, now: () => number) {
    this.region = region;
    this.accountId = accountId;
    this.now = now;
  }
}
