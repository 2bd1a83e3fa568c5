/**
 * A bounded memo for derived data (parsed user agents, URLs), with near-LRU eviction at the cost of one Map
 * lookup per hit. Exact LRU (delete and re-insert on every hit) cost three Map operations per lookup, and
 * enrichment does three lookups an event. Two generations instead: new entries go to the young map; when it
 * is full it becomes the old one (the previous old one is dropped); a hit in the old map moves the entry back
 * to the young. What was used in the last `maxEntries / 2` insertions always survives. Holds at most
 * `maxEntries` entries. `undefined` means "not cached", so values may be null.
 */
export interface MemoCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
}

export function createMemoCache<V>(maxEntries: number): MemoCache<V> {
  const generationSize = Math.max(1, Math.floor(maxEntries / 2));
  let young = new Map<string, V>();
  let old = new Map<string, V>();
  const set = (key: string, value: V): void => {
    young.set(key, value);
    if (young.size >= generationSize) {
      old = young;
      young = new Map();
    }
  };
  return {
    get(key) {
      const hit = young.get(key);
      if (hit !== undefined) return hit;
      const aging = old.get(key);
      if (aging !== undefined) {
        old.delete(key);
        set(key, aging);
      }
      return aging;
    },
    set,
  };
}
