// Article method 3: link aliases on a user-defined network. Compose's `links:` are start-order
// dependencies and refuse the cycle every ensemble has, so the aliases are `external_links`:
// compose passes them to Docker unchecked, and on a user-defined network Docker accepts a
// link to a container that does not exist yet (FACTS §4f).
import { renderSingleHost } from './compose-single-host.js';
import type { Target } from './types.js';

export const composeLinksTarget: Target = {
  name: 'compose-links',
  summary: 'single-host compose file, user-defined network, peers by link alias (external_links)',
  networks: ['links'],
  refusal: {
    host: 'links cannot be used with host networking',
    overlay: 'links work only between containers of one Docker host: use target swarm or aliyun',
    bridge: 'the plan addresses peers by container name, not by link alias: use target compose-bridge',
    'static-ip': 'the plan addresses peers by static IP: use target compose-static-ip',
  },
  render: (e, options, templates) =>
    renderSingleHost(e, options, templates, {
      target: 'compose-links',
      notes: [
        'Peers are addressed by link alias. The aliases are external_links, not links: compose orders',
        'links as start dependencies and refuses the cycle every ensemble has, while Docker accepts a link',
        'to a container that does not exist yet on a user-defined network.',
      ],
    }),
};
