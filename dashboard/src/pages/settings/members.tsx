import { useState } from 'preact/hooks';
import { api } from '../../api/endpoints.js';
import { useAction, useResource } from '../../api/hooks.js';
import type { AddedMember, Member, Role } from '../../api/types.js';
import { useSession, useWorkspace } from '../../app-context.js';
import { CodeBlock } from '../../components/copy-button.js';
import { type Column, DataTable } from '../../components/data-table.js';
import { IconAlert, IconPlus } from '../../components/icons.js';
import { Modal } from '../../components/modal.js';
import { FormError, ResourceView } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { Badge, Card, Field, fieldProps, PageHeader } from '../../components/ui.js';
import { formatDateTime, formatRelative, formatWhen } from '../../lib/format.js';
import { grantableRoles, ROLE_DESCRIPTIONS, ROLE_LABELS, ROLES } from '../../lib/permissions.js';

function AddMemberDialog({
  orgId,
  role,
  onClose,
  onAdded,
}: {
  orgId: string;
  role: Role;
  onClose: () => void;
  onAdded: (added: AddedMember) => void;
}) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [memberRole, setMemberRole] = useState<Role>('viewer');
  const add = useAction(api.addMember);
  const error = add.error;
  return (
    <Modal
      title="Add a member"
      description="They get access to every store of this organization, within their role."
      onClose={onClose}
      dismissible={!add.pending}
      footer={
        <>
          <button type="button" class="btn btn-ghost" onClick={onClose} disabled={add.pending}>
            Cancel
          </button>
          <button type="submit" form="add-member-form" class="btn btn-primary" disabled={add.pending}>
            {add.pending ? 'Adding…' : 'Add member'}
          </button>
        </>
      }
    >
      <form
        id="add-member-form"
        class="form"
        onSubmit={async (event) => {
          event.preventDefault();
          const added = await add.run(orgId, {
            email: email.trim(),
            role: memberRole,
            name: name.trim() || undefined,
          });
          if (added) onAdded(added);
        }}
      >
        <FormError error={error} />
        <Field id="m-email" label="Email" error={error} field="email">
          <input
            {...fieldProps('m-email', error, 'email')}
            class="input"
            type="email"
            required
            maxLength={254}
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field
          id="m-name"
          label="Name"
          optional
          error={error}
          field="name"
          hint="Used only when the person has no account yet."
        >
          <input
            {...fieldProps('m-name', error, 'name')}
            class="input"
            maxLength={120}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </Field>
        <fieldset class="radio-group">
          <legend class="field-label">Role</legend>
          {grantableRoles(role).map((r) => (
            <label key={r} class={`radio-card${memberRole === r ? ' checked' : ''}`}>
              <input
                type="radio"
                name="member-role"
                value={r}
                checked={memberRole === r}
                onChange={() => setMemberRole(r)}
              />
              <span>
                <span class="radio-title">{ROLE_LABELS[r]}</span>
                <span class="radio-text">{ROLE_DESCRIPTIONS[r]}</span>
              </span>
            </label>
          ))}
        </fieldset>
      </form>
    </Modal>
  );
}

function AddedDialog({ added, onClose }: { added: AddedMember; onClose: () => void }) {
  return (
    <Modal
      title={`${added.member.user.name || added.member.user.email} was added`}
      onClose={onClose}
      footer={
        <button type="button" class="btn btn-primary" onClick={onClose}>
          Done
        </button>
      }
    >
      {added.temporaryPassword ? (
        <>
          <p class="notice notice-warning">
            <IconAlert /> A new account was created. Give them this one-time password over a channel you
            trust; it is shown only now.
          </p>
          <CodeBlock id="temp-password" label="Temporary password" code={added.temporaryPassword} />
        </>
      ) : (
        <p>They already had an account and can sign in with it now.</p>
      )}
    </Modal>
  );
}

export function MembersPage() {
  const { org, role, can } = useWorkspace();
  const { me } = useSession();
  const toast = useToast();
  const canWrite = can('members:write');
  const members = useResource(`members:${org.id}`, (signal) => api.members(org.id, signal));
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<AddedMember | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const changeRole = useAction(api.changeRole);
  const remove = useAction((orgId: string, memberId: string) =>
    api.removeMember(orgId, memberId).then(() => true),
  );
  const grantable = grantableRoles(role);
  const mayManage = (m: Member) => canWrite && grantable.includes(m.role);

  const columns: Column<Member>[] = [
    {
      key: 'name',
      label: 'Member',
      value: (m) => m.user.name,
      render: (m) => (
        <span class="member">
          <span class="member-name">
            {m.user.name}
            {m.user.id === me.user.id && <Badge tone="neutral">you</Badge>}
          </span>
          <span class="member-email">{m.user.email}</span>
        </span>
      ),
    },
    { key: 'email', label: 'Email', value: (m) => m.user.email, hidden: true },
    {
      key: 'role',
      label: 'Role',
      value: (m) => m.role,
      render: (m) =>
        mayManage(m) && m.user.id !== me.user.id ? (
          <>
            <label class="sr-only" for={`role-${m.id}`}>
              Role of {m.user.name}
            </label>
            <select
              id={`role-${m.id}`}
              class="select select-sm"
              value={m.role}
              disabled={changeRole.pending}
              onChange={async (e) => {
                const next = e.currentTarget.value as Role;
                const updated = await changeRole.run(org.id, m.id, next);
                if (updated) {
                  members.mutate(
                    (d) => d && { items: d.items.map((x) => (x.id === updated.id ? updated : x)) },
                  );
                  toast({ message: `${m.user.name} is now ${ROLE_LABELS[next].toLowerCase()}` });
                } else {
                  members.reload();
                }
              }}
            >
              {ROLES.filter((r) => grantable.includes(r)).map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </>
        ) : (
          <Badge tone={m.role === 'owner' ? 'brand' : 'neutral'}>{ROLE_LABELS[m.role]}</Badge>
        ),
    },
    {
      key: 'lastLoginAt',
      label: 'Last sign-in',
      value: (m) => m.lastLoginAt,
      render: (m) => <span title={formatDateTime(m.lastLoginAt)}>{formatRelative(m.lastLoginAt)}</span>,
    },
    {
      key: 'createdAt',
      label: 'Member since',
      value: (m) => m.createdAt,
      render: (m) => <span title={formatDateTime(m.createdAt)}>{formatWhen(m.createdAt)}</span>,
      secondary: true,
    },
    ...(canWrite
      ? [
          {
            key: 'actions',
            label: 'Actions',
            value: () => null,
            exportable: false,
            sortable: false,
            render: (m: Member) =>
              mayManage(m) && m.user.id !== me.user.id ? (
                <button
                  type="button"
                  class="btn btn-ghost btn-sm btn-danger-text"
                  onClick={() => setRemoving(m)}
                  aria-label={`Remove ${m.user.name}`}
                >
                  Remove
                </button>
              ) : null,
          } satisfies Column<Member>,
        ]
      : []),
  ];

  return (
    <div class="page">
      <PageHeader
        title="Members"
        description={`People in ${org.name} and what they may do. Roles apply to every store of the organization.`}
        actions={
          canWrite && (
            <button type="button" class="btn btn-primary" onClick={() => setAdding(true)}>
              <IconPlus /> Add member
            </button>
          )
        }
      />
      <FormError error={changeRole.error} />
      <Card
        flush
        title="People"
        subtitle={
          members.data
            ? `${members.data.items.length} member${members.data.items.length === 1 ? '' : 's'}`
            : undefined
        }
      >
        <ResourceView state={members} label="Loading members" what="Members">
          {(data) => (
            <DataTable
              caption="Members"
              rows={data.items}
              columns={columns}
              rowKey={(m) => m.id}
              exportName={[org.name, 'members']}
              initialSort={{ key: 'name', descending: false }}
            />
          )}
        </ResourceView>
      </Card>
      <Card title="Roles">
        <dl class="roles">
          {ROLES.map((r) => (
            <div key={r} class="role-row">
              <dt>{ROLE_LABELS[r]}</dt>
              <dd>{ROLE_DESCRIPTIONS[r]}</dd>
            </div>
          ))}
        </dl>
      </Card>
      {adding && (
        <AddMemberDialog
          orgId={org.id}
          role={role}
          onClose={() => setAdding(false)}
          onAdded={(result) => {
            setAdding(false);
            setAdded(result);
            members.reload();
          }}
        />
      )}
      {added && <AddedDialog added={added} onClose={() => setAdded(null)} />}
      {removing && (
        <Modal
          title={`Remove ${removing.user.name}?`}
          description="They lose access to every store of this organization, and their sessions end."
          size="sm"
          onClose={() => setRemoving(null)}
          dismissible={!remove.pending}
          footer={
            <>
              <button
                type="button"
                class="btn btn-ghost"
                onClick={() => setRemoving(null)}
                disabled={remove.pending}
              >
                Cancel
              </button>
              <button
                type="button"
                class="btn btn-danger"
                disabled={remove.pending}
                onClick={async () => {
                  const target = removing;
                  if (!(await remove.run(org.id, target.id))) return;
                  setRemoving(null);
                  members.reload();
                  toast({ message: `${target.user.name} was removed` });
                }}
              >
                {remove.pending ? 'Removing…' : 'Remove member'}
              </button>
            </>
          }
        >
          <FormError error={remove.error} />
        </Modal>
      )}
    </div>
  );
}
