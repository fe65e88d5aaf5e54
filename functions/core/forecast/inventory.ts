/**
 * Reorder point and days of cover: how much stock must be on hand when a replenishment order is placed so that
 * the demand during the supplier's lead time is met with the wanted service level (the probability of not running
 * out before the delivery, "cycle service level").
 */

/**
 * The standard normal quantile (inverse CDF), Acklam's rational approximation (relative error below 1.2e-9),
 * enough for service levels.
 */
export function normalQuantile(probability: number): number {
  if (!(probability > 0 && probability < 1)) throw new RangeError('the probability must be strictly between 0 and 1');
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (probability < low) return tail(Math.sqrt(-2 * Math.log(probability)));
  if (probability > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - probability)));
  const q = probability - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

export interface ReorderInputs {
  /** Expected units sold per day over the lead time. */
  readonly meanDailyDemand: number;
  /** Standard deviation of one day's units (days taken as independent). */
  readonly dailyDemandStdDev: number;
  readonly leadTimeDays: number;
  /** Wanted probability of not running out during the lead time, e.g. 0.95. */
  readonly serviceLevel: number;
}

export interface ReorderPoint {
  readonly leadTimeDemand: number;
  readonly safetyStock: number;
  /** Whole units: reorder when the stock on hand falls to this or below. */
  readonly reorderPoint: number;
}

/** ROP = d L + z(service level) sigma_d sqrt(L), rounded up to whole units. */
export function reorderPoint(inputs: ReorderInputs): ReorderPoint {
  const { meanDailyDemand, dailyDemandStdDev, leadTimeDays, serviceLevel } = inputs;
  if (meanDailyDemand < 0 || dailyDemandStdDev < 0 || leadTimeDays < 0) {
    throw new RangeError('demand, its deviation and the lead time cannot be negative');
  }
  const leadTimeDemand = meanDailyDemand * leadTimeDays;
  const safetyStock = Math.max(0, normalQuantile(serviceLevel) * dailyDemandStdDev * Math.sqrt(leadTimeDays));
  // The small tolerance keeps float noise (10.000000000001) from adding a whole unit; without any demand it would
  // make the result -0, hence the Math.max.
  return { leadTimeDemand, safetyStock, reorderPoint: Math.max(0, Math.ceil(leadTimeDemand + safetyStock - 1e-9)) };
}

/**
 * Days until the forecast demand uses up `stockOnHand`, interpolated within the day it runs out;
 * Infinity when the stock outlasts the forecast horizon.
 */
export function daysOfCover(stockOnHand: number, dailyForecast: readonly number[]): number {
  let left = Math.max(0, stockOnHand);
  for (let day = 0; day < dailyForecast.length; day += 1) {
    const demand = Math.max(0, dailyForecast[day]!);
    if (demand >= left && demand > 0) return day + left / demand;
    left -= demand;
  }
  return Number.POSITIVE_INFINITY;
}
