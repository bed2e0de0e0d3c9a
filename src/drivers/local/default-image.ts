/** Docker Hub's official image (FACTS §2); the tag gives the planner ZooKeeper 3.9's rules. */
export const DEFAULT_IMAGE = 'zookeeper:3.9';
