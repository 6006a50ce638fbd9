import { DeployButton } from '../../components/DeploySheet';
import { useDeployStore } from '../../stores/deploy';

/** Every host at a glance: online, generation, deployed revision, out of date, last deploy. */
export function HostsCard() {
  const hosts = useDeployStore((s) => s.hosts);
  const loading = useDeployStore((s) => s.hostsLoading);
  const error = useDeployStore((s) => s.hostsError);
  const outOfDate = hosts?.filter((h) => h.online && h.outOfDate).map((h) => h.target) ?? [];
  return (
    <div className="card" data-testid="deploy-hosts-card">
      <div className="card-body">
        <div className="row">
          <h2 style={{ margin: 0 }}>Hosts</h2>
          <span className="job-spacer" />
          <button className="btn" type="button" onClick={() => void useDeployStore.getState().refreshHosts()} disabled={loading} data-testid="hosts-refresh">
            {loading ? 'Checking…' : hosts ? 'Check again' : 'Check hosts'}
          </button>
          <DeployButton targets={outOfDate} label={`Deploy all out-of-date (${outOfDate.length})`} disabled={outOfDate.length === 0} />
        </div>
        {error ? <div className="notice err">{error}</div> : null}
        {!hosts ? (
          <p className="muted">{loading ? 'Connecting to every host…' : 'Check the hosts to see what each one runs and whether it is out of date.'}</p>
        ) : hosts.length === 0 ? (
          <p className="muted">No systems in this checkout.</p>
        ) : (
          <table className="grid">
            <thead>
              <tr>
                <th>Host</th>
                <th>State</th>
                <th>Generation</th>
                <th>Revision</th>
                <th>Last deploy</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {hosts.map((h) => (
                <tr key={h.target} data-testid="host-status-row" data-target={h.target} data-online={h.online ? 'yes' : 'no'}>
                  <td>
                    <strong>{h.target}</strong>
                    {h.host !== h.target ? <div className="faint mono">{h.host}</div> : null}
                  </td>
                  <td>
                    {h.online ? <span className="badge ok">online</span> : <span className="badge err" title={h.error}>offline</span>}{' '}
                    {h.outOfDate === true ? <span className="badge warn">out of date</span> : h.outOfDate === false ? <span className="badge">up to date</span> : null}
                  </td>
                  <td>{h.generation ?? '—'}</td>
                  <td className="mono">{h.configurationRevision ? h.configurationRevision.slice(0, 12) : '—'}</td>
                  <td>{h.lastDeploy ? `${h.lastDeploy.status}, ${new Date(h.lastDeploy.at).toLocaleString()}` : '—'}</td>
                  <td>
                    <DeployButton targets={[h.target]} label="Deploy" primary={false} disabled={!h.online} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
