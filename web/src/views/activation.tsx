/** Not built yet: the dashboard grows this view as its capability's routes land (issue 21). */
export default function ActivationView() {
  return <h1>Activation</h1>;
}
