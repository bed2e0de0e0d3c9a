// Article method 2: a user-defined bridge network; Docker's DNS resolves container names.
import { renderSingleHost } from './compose-single-host.js';
import type { Target } from './types.js';

export const composeBridgeTarget: Target = {
  name: 'compose-bridge',
  summary: 'single-host compose file, user-defined bridge network, peers by container name',
  networks: ['bridge'],
  refusal: {
    host: 'host networking needs one server per host: use target aliyun, swarm or run-scripts',
    overlay: 'an overlay network spans a Swarm: use target swarm or aliyun',
    links: 'the plan addresses peers by link alias: use target compose-links',
    'static-ip': 'the plan addresses peers by static IP: use target compose-static-ip',
  },
  render: (e, options, templates) =>
    renderSingleHost(e, options, templates, {
      target: 'compose-bridge',
      notes: ['Peers are addressed by container name through the network\'s embedded DNS.'],
    }),
};
