/** Does `version` (e.g. "22.22.2") satisfy `range` (`^x.y.z` / `>=x.y.z` alternatives joined by `||`)? */
export function nodeSatisfies(version: string, range: string): boolean;
/** The lowest version each alternative of the range admits. */
export function rangeFloors(range: string): string[];
