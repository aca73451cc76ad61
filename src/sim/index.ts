// The simulated store and its devices: what the composition root needs to run without hardware.
export { SimCamera } from '../drivers/camera/sim.js';
export { type GpioWrite, SimGpioChip } from '../drivers/gpio/sim.js';
export { SimScanner } from '../drivers/scanner/sim.js';
export { SimLink } from '../drivers/sim-link.js';
export { type PlateFailure, type ShelfPhysics, SimShelf } from '../drivers/weight/sim.js';
export { deriveSeed, Random } from '../system/random.js';
export type { SimBehaviour } from './behaviour.js';
export { type Fault, type FaultKind, FaultScheduler, type FaultTarget } from './faults.js';
export type { GateHabits, GateShoppers } from './gate-shoppers.js';
export { type ShelfAction, ShelfShoppers, type ShopperHabits } from './shelf-shoppers.js';
export { SimStore } from './store.js';
