import "./activation.css";
import { get } from "../api";
import { ErrorBox, Loading } from "../components/status";
import { useLoad } from "../hooks";
import { Audiences } from "./activation/audiences";
import { Campaigns } from "./activation/campaigns";
import { Destinations } from "./activation/destinations";
import { MessagePreview } from "./activation/message-preview";
import type { AudienceList, Campaign } from "./activation/types";

/**
 * Activation (issue 18 through the dashboard): audiences with their size now, webhook destinations with how their
 * deliveries stand, campaigns with their sends and their message rendered for real members. Each part asks the API
 * only what the role may read: destinations need `write:activation`, previews `read:consented-people`.
 */
export default function ActivationView() {
  const audiences = useLoad((signal) => get<AudienceList>("/api/audiences", undefined, signal), []);
  const campaigns = useLoad(
    (signal) => get<{ campaigns: Campaign[] }>("/api/campaigns", undefined, signal),
    [],
  );
  const error = audiences.error ?? campaigns.error;
  return (
    <>
      <h1>Activation</h1>
      {error ? (
        <ErrorBox error={error} />
      ) : !audiences.data || !campaigns.data ? (
        <Loading what="audiences and campaigns" />
      ) : (
        <>
          <Audiences list={audiences.data} />
          <Destinations />
          <Campaigns campaigns={campaigns.data.campaigns} />
          <MessagePreview campaigns={campaigns.data.campaigns} audiences={audiences.data.audiences} />
        </>
      )}
    </>
  );
}
