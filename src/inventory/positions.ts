// Maps a path in the parsed YAML document to the line and column where it was written.
import { isMap, isNode, isSeq, isScalar, LineCounter, type Document, type Node } from 'yaml';
import type { SourcePosition, YamlPath } from './types.js';

export function positionLocator(doc: Document, lineCounter: LineCounter, file: string) {
  return function at(path: YamlPath, which: 'key' | 'value' = 'value'): SourcePosition {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    let best: Node | undefined = isNode(node) ? node : undefined;
    for (const segment of path) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(segment));
        if (!pair) break;
        keyNode = isNode(pair.key) ? pair.key : undefined;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        break;
      }
      if (isNode(node) && node.range) best = node;
      else if (keyNode) best = keyNode;
      if (!isNode(node)) break;
    }
    const target = which === 'key' && keyNode ? keyNode : best;
    const offset = target?.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
}
