export * from './frames.js'
export * from './codes.js'
export * from './codec.js'
export * from './contract.js'
