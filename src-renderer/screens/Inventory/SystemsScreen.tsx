import { useEffect } from 'react';
import { useInventoryStore } from '../../stores/inventory';

/** The systems of the open checkout. */
export function SystemsScreen() {
  const { inventory, loading, error, load } = useInventoryStore();
  useEffect(() => {
    if (!inventory && !loading) void load();
  }, [inventory, loading, load]);
  if (error) return <p className="inventory-error">{error}</p>;
  if (!inventory) return <p className="inventory-empty">Loading…</p>;
  return (
    <ul className="inventory-list">
      {inventory.systems.map((item) => (
        <li key={item.name}>{item.name}</li>
      ))}
    </ul>
  );
}
