// Article method 4: fixed container addresses on a network with a configured subnet.
import { renderSingleHost } from './compose-single-host.js';
import type { Target } from './types.js';

export const composeStaticIpTarget: Target = {
  name: 'compose-static-ip',
  summary: 'single-host compose file, network with ipam subnet/gateway/ip_range, ipv4_address per server',
  networks: ['static-ip'],
  refusal: {
    host: 'host networking uses the hosts\' addresses, not container IPs: use target aliyun, swarm or run-scripts',
    overlay: 'docker stack deploy ignores ipv4_address: use target swarm',
    bridge: 'the plan addresses peers by container name and assigns no IPs: use target compose-bridge',
    links: 'the plan addresses peers by link alias and assigns no IPs: use target compose-links',
  },
  render: (e, options, templates) =>
    renderSingleHost(e, options, templates, {
      target: 'compose-static-ip',
      notes: [
        'Static addresses lie outside ip_range, which confines Docker\'s dynamic allocation (article method 4).',
      ],
    }),
};
