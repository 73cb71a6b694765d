// Shared bits of a network record: the predefined names, the bridge-name
// option, and a blank record to fill in (used by CRUD and by the kernel side
// when it creates the default bridge).
import { randomBytes } from 'node:crypto';
import type { NetworkRecord } from '../network/model.js';
import { nowNano } from './containers-model.js';

export const PREDEFINED = ['bridge', 'host', 'none'];
export const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';

export function blankNetwork(name: string, driver: string, id = randomId()): NetworkRecord {
  return {
    id,
    name,
    created: nowNano(),
    driver,
    bridge: '',
    subnet: '',
    gateway: '',
    userSubnet: false,
    userGateway: false,
    internal: false,
    attachable: false,
    isDefault: false,
    options: {},
    labels: {},
    ipamOptions: null,
  };
}

export function randomId(): string {
  return randomBytes(32).toString('hex');
}
