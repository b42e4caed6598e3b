/**
 * The report's view: the one door of render/view/ for the renderers. `buildReportView` makes the
 * view of a summary once; the renderers read it, and use `formatCount`, `pluralize` and
 * `leftAfter` only for the "and N more" of their own cuts. The rest of the family (format.ts,
 * percent.ts, usage.ts) is private to it.
 */
export { AGENTS_SHOWN } from './ai';
export { buildReportView, leftAfter, SPARKLINE_DAYS } from './build';
export { formatCount, pluralize, reportDateRange } from './format';
export type {
  AcceptedView,
  AgentRow,
  AiActivityView,
  AiKindRow,
  AnomaliesView,
  ChangesView,
  ChangeView,
  ClientRow,
  Colour,
  DailyView,
  DayView,
  DeltaView,
  Figure,
  FiguresView,
  FlagView,
  GroupView,
  KindView,
  Link,
  LinksView,
  NoticeView,
  Noun,
  RankedItem,
  RankedList,
  ReportView,
  ResolvedView,
  SeverityView,
  ToolRow,
  TrendView,
  TriageView,
  UsageView,
  WeekView,
  WindowView,
} from './types';
export { CLIENTS_SHOWN, TOOLS_SHOWN } from './usage';
