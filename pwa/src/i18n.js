// Screen wording: zh-CN first, English second. Flow text comes from the flow data itself.

const STRINGS = {
  zh: {
    app: '上门服务', lang: 'English', langName: '切换到英文',
    username: '用户名', password: '密码', login: '登录', loginFailed: '用户名或密码错误',
    loginOffline: '无网络，无法登录。联网后再试。', logout: '退出登录',
    reloginNeeded: '登录已过期：工作照常记录并排队，请重新登录以同步。', relogin: '重新登录',
    agenda: '今日工作', tomorrow: '明天', refreshedAt: '数据更新于', never: '从未', refresh: '刷新',
    noVisits: '没有预约的上门工作', call: '拨打', map: '地图', unsynced: '未同步', refused: '需处理',
    online: '在线', offline: '离线', queued: '待同步', lastSync: '上次同步', lastError: '错误', syncNow: '立即同步',
    back: '返回', steps: '六部曲', step: '步骤', complete: '完成此步骤', completed: '已完成',
    missing: '还需完成', script: '话术', tips: '提示', do: '做什么', dont: '不做什么', checklist: '检查单', inWarranty: '保修期内（免费更换）', inWarrantyFree: '保修期内免费', swapFee: '更换设备收费', traits: '行为特征', cues: '电话中的表现', spotStyle: '电话中辨认客户类型', listSep: '；',
    takePhoto: '拍照', photoTaken: '已拍照', yes: '是', save: '保存', saved: '已记录',
    phoneFix: '电话指导已解决', phoneFixHint: '客户按您的电话指导已排除故障：记录指导内容后结单，无需上门，预约时段随之释放。',
    phoneFixNotes: '指导内容（解决了什么）', phoneFixClose: '电话指导解决，结单', phoneFixDone: '已电话指导解决，无需上门；预约已释放。',
    revisitAgreed: '与客户另约的上门时间', revisitDay: '日期',
    no: '否', unanswered: '未填写', checklistLocked: '此步骤已完成，答案已锁定；如需更改请填写原因进行更正（更正会单独记录）。',
    correct: '更正', correctionReason: '更正原因', saveCorrection: '保存更正', corrected: '{at} 更正：{from} → {to}（原因：{reason}）',
    callAttempt: '记录通话', outcome: '结果', reached: '已接通', no_answer: '无人接听', busy: '占线',
    wrong_number: '号码错误', rescheduled: '改约', windowStart: '确认时段开始', windowEnd: '结束', notes: '备注',
    attempts: '通话记录', lateNotice: '迟到通知', lateOffer: '时段即将开始而您尚未到达：请先致电客户致歉并告知新的到达时间。',
    reason: '原因', newEta: '新的到达时间', sendLate: '记录迟到通知',
    checkin: '到达签到', checkedIn: '已签到', useLocation: '记录位置',
    knock: '敲门', startKnock: '开始敲门计时', knockRound: '第{n}轮敲门', nextRound: '下一轮倒计时',
    knockNow: '现在连续轻敲{sets}次，每次{knocks}下', knockRhythm: '每{s}秒重复1次；{m}分钟后不开门则电话联系客户。',
    knockRule: '敲门：连续轻敲{sets}次，每次{knocks}下；每{s}秒重复1次，{m}分钟后不开门则电话联系客户；不暴力砸门。', callCustomerNow: '已敲门3分钟无人应答：请致电客户。', noAccess: '无人在家（留下《服务单》）',
    noticePhoto: '拍摄留下的《服务单》', endNoAccess: '结束上门：无人在家', noAccessDone: '已留下《服务单》，等待重新预约',
    description: '客户自述', style: '客户类型', needs: '客户需求', physical: '生理', business: '业务',
    information: '信息', emotional: '情感',
    workKinds: '作业类型', in_home: '室内现场处理', installation: '安装（打洞、排线）', equipment_replacement: '更换设备',
    outdoor_line_check: '户外线路排查', other: '其他', swaps: '更换的设备（新旧序列号）', kind: '设备', oldSerial: '旧序列号', newSerial: '新序列号',
    scan: '扫码', addSwap: '添加一台更换的设备', addMaterial: '添加材料', addFee: '添加收费项目', feeItem: '收费项目', materials: '材料', fees: '收费（按公司资费）', total: '合计', qty: '数量',
    result: '结果', fixed: '已修复', not_fixed: '未修复', needs_revisit: '需再次上门', set_top_box: '机顶盒', remote_control: '遥控器', cable_modem: '宽带终端（CM）',
    evaluateHand: '请将手机交给客户', ratings: '评分', overall: '总体满意度', punctuality: '准时',
    attitude: '态度', professionalism: '专业', tidiness: '整洁', mot: '关键时刻评分', comments: '意见建议',
    mot_call: '电话', mot_arrival: '上门', mot_communication: '沟通', mot_operation: '操作',
    preview: '预览', previewForms: '预览服务单和反馈单', serviceForm: '服务单', feedbackForm: '客户反馈单',
    sign: '客户签名', techSign: '维护员签名', clear: '清除', declined: '客户拒绝签名', declineReason: '拒签原因', submit: '提交评价',
    colon: '：',
    visitsWaiting: '{n} 个上门待同步', allSynced: '已全部同步', attention: '{n} 个上门需处理', actionsWaiting: '待发送的操作：{n} 个',
    syncDetail: '详情', today: '今天', stepOf: '第{n}步 {step}', doneOf: '已完成 {done}/{total}',
    checkinEarly: '此预约的时段是 {when}，还有 {h} 小时 {m} 分钟才开始。确定是这位客户、这一天吗？',
    checkinLate: '此预约的时段 {when} 不是今天，已经过去。确定要签到吗？', checkinAnyway: '仍然签到', cancel: '取消',
    draftUnsaved: '草稿：已存在手机上，尚未保存', draftAnswer: '草稿：离开此栏即记录', draftCall: '草稿：记录通话时保存',
    checks: '主动检查', leads: '意向', product: '产品', interest: '意向程度', leaflet: '已发放宣传单',
    addLead: '添加意向', finishVisit: '完成上门', visitDone: '上门已完成',
    update: '有新版本可用', updateNow: '更新', conflicts: '同步被拒', retry: '重试', discard: '放弃此操作',
    discardConfirm: '确定放弃？该操作不会发送到服务器。',
    status_new: '新建', status_scheduled: '已预约', status_en_route: '在途', status_on_site: '在现场',
    status_completed: '已完成', status_closed: '已关闭', status_no_access: '无人在家', status_needs_revisit: '需再次上门',
    status_cancelled: '已取消', status_resolved_by_phone: '电话解决',
    next_order_cancelled: '调度已取消此工单：请停止作业并联系调度确认。',
    next_order_reassigned: '此工单已改派给其他维护员：请联系调度。',
    next_illegal_transition: '工单状态已在服务器上改变：请刷新并联系调度。',
    next_fee_not_in_tariff: '收费项目不在公司资费内：请修改收费后重试。',
    next_visit_closed: '此工单在服务器上已没有进行中的上门：请联系调度。',
    next_order_not_scheduled: '此工单尚未预约：请联系调度预约后再上门。',
    next_step_out_of_order: '步骤顺序与服务器记录不一致：请先同步前面的步骤，再重试。',
    next_checklist_incomplete: '服务器认为检查单还有必填项未完成：请补全后重试。',
    next_attachment_not_found: '照片或签名尚未上传成功：联网后重试。',
    next_checklist_locked: '此步骤已完成，答案已锁定：请用“更正”并写明原因。',
    next_knock_protocol_incomplete: '敲门流程未完成（每{knock_interval_seconds}秒一轮、每轮连续轻敲{knock_sets_per_round}次每次{knocks_per_set}下，敲满{call_after_knocking_minutes}分钟后再致电客户）：请补全后重试。',
    next_validation_error: '记录内容有误：请修改后重试。',
    next_scores_without_customer: '客户拒绝评价时不应记录评分：请清除评分后重试。',
    next_server_error: '服务器无法处理此操作（其他操作已同步）。此操作已保留：请联系调度，稍后重试。',
    next_internal_error: '服务器处理此操作时出错（其他操作已同步）。此操作已保留：请联系调度，稍后重试。',
    next_default: '请阅读原因，必要时联系调度，然后重试或放弃。',
    mot_scale: { '-3': '导致双方危机关系', '-2': '无法符合期望', '-1': '部分没有符合期望', 0: '中立（没有期望）', 1: '符合期望', 2: '超出期望', 3: '让客户喜悦' },
    persist: '已申请持久存储',
    record_call: '一次接通客户的通话记录（或规定次数的未接通电话）',
    doorWithoutCall: '已拨打{n}次客户未接听：无需通话即可完成电话步骤，请按预约时间上门，按敲门流程敲门，无人则留下《服务单》。',
    record_arrive: '到达签到', record_communicate: '保存沟通记录',
    record_operate: '保存维护员签名的操作记录', record_evaluate: '提交客户评价', record_help: '保存帮助记录',
    logNoAnswer: '已致电：无人接听', logReached: '已致电：已接通',
  },
  en: {
    app: 'Doorstep', lang: '中文', langName: 'Switch to Chinese',
    username: 'Username', password: 'Password', login: 'Log in', loginFailed: 'Wrong username or password',
    loginOffline: 'No network: cannot log in. Try again when online.', logout: 'Log out',
    reloginNeeded: 'Your login expired: work is still recorded and queued. Log in again to sync.', relogin: 'Log in again',
    agenda: 'Today', tomorrow: 'Tomorrow', refreshedAt: 'Data refreshed at', never: 'never', refresh: 'Refresh',
    noVisits: 'No visits booked', call: 'Call', map: 'Map', unsynced: 'unsynced', refused: 'needs action',
    online: 'Online', offline: 'Offline', queued: 'queued', lastSync: 'Last sync', lastError: 'Error', syncNow: 'Sync now',
    back: 'Back', steps: 'Six steps', step: 'Step', complete: 'Complete this step', completed: 'Done',
    missing: 'Still to do', script: 'Script', tips: 'Tips', do: 'Do', dont: "Don't", checklist: 'Checklist', inWarranty: 'In warranty (swapped free)', inWarrantyFree: 'in warranty, free', swapFee: 'Equipment swapped', traits: 'Traits', cues: 'On the phone', spotStyle: 'Spotting the customer type on the phone', listSep: '; ',
    takePhoto: 'Take photo', photoTaken: 'Photo taken', yes: 'Yes', save: 'Save', saved: 'Recorded',
    phoneFix: 'Fixed by phone guidance', phoneFixHint: 'The customer fixed it following your guidance on the phone: record what was done and close the order; no visit is needed and the booked time is released.',
    phoneFixNotes: 'The guidance given (what it fixed)', phoneFixClose: 'Fixed by phone: close the order', phoneFixDone: 'Fixed by phone guidance, no visit needed; the appointment is released.',
    revisitAgreed: 'The new visit time agreed with the customer', revisitDay: 'Day',
    no: 'No', unanswered: 'Not answered', checklistLocked: 'This step is complete and its answers are locked; to change one, correct it with a reason (the correction is recorded on its own).',
    correct: 'Correct', correctionReason: 'Reason for the correction', saveCorrection: 'Save correction', corrected: '{at} corrected: {from} → {to} (reason: {reason})',
    callAttempt: 'Log call', outcome: 'Outcome', reached: 'Reached', no_answer: 'No answer', busy: 'Busy',
    wrong_number: 'Wrong number', rescheduled: 'Rescheduled', windowStart: 'Confirmed window start', windowEnd: 'end', notes: 'Notes',
    attempts: 'Calls', lateNotice: 'Late notice', lateOffer: 'The window starts soon and you have not arrived: call the customer first, apologise and give a new arrival time.',
    reason: 'Reason', newEta: 'New arrival time', sendLate: 'Record late notice',
    checkin: 'Check in', checkedIn: 'Checked in', useLocation: 'Record location',
    knock: 'Knock', startKnock: 'Start knock timer', knockRound: 'Knock round {n}', nextRound: 'Next round in',
    knockNow: 'Knock lightly now: {sets} sets of {knocks} knocks in a row', knockRhythm: 'Repeat every {s} seconds; phone the customer if nobody opens after {m} minutes.',
    knockRule: 'Knocking: {sets} sets of {knocks} light knocks in a row; repeat every {s} seconds; phone the customer if nobody opens after {m} minutes; never bang on the door.', callCustomerNow: 'No answer after 3 minutes: phone the customer.', noAccess: 'Nobody home (leave the Service Form)',
    noticePhoto: 'Photograph the Service Form left', endNoAccess: 'End visit: no access', noAccessDone: 'Service Form left; awaiting a new appointment',
    description: "Customer's own description", style: 'Customer style', needs: 'Needs', physical: 'Physical', business: 'Business',
    information: 'Information', emotional: 'Emotional',
    workKinds: 'Work done', in_home: 'In-home handling', installation: 'Installation (drilling, wiring)', equipment_replacement: 'Equipment replacement',
    outdoor_line_check: 'Outdoor line check', other: 'Other', swaps: 'Devices swapped (old and new serials)', kind: 'Equipment', oldSerial: 'Old serial', newSerial: 'New serial',
    scan: 'Scan', addSwap: 'Add a swapped device', addMaterial: 'Add material', addFee: 'Add a fee', feeItem: 'Fee item', materials: 'Materials', fees: 'Fees (operator tariff)', total: 'Total', qty: 'Qty',
    result: 'Result', fixed: 'Fixed', not_fixed: 'Not fixed', needs_revisit: 'Needs another visit', set_top_box: 'Set-top box', remote_control: 'Remote control', cable_modem: 'Cable modem',
    evaluateHand: 'Please hand the phone to the customer', ratings: 'Ratings', overall: 'Overall satisfaction', punctuality: 'Punctuality',
    attitude: 'Attitude', professionalism: 'Professionalism', tidiness: 'Tidiness', mot: 'Moment-of-truth scores', comments: 'Comments',
    mot_call: 'Call', mot_arrival: 'Arrival', mot_communication: 'Communication', mot_operation: 'Operation',
    preview: 'PREVIEW', previewForms: 'Preview Service and Feedback forms', serviceForm: 'Service Form', feedbackForm: 'Customer Feedback Form',
    sign: 'Customer signature', techSign: 'Technician signature', clear: 'Clear', declined: 'Customer declined to sign', declineReason: 'Reason for declining', submit: 'Submit evaluation',
    colon: ': ',
    visitsWaiting: 'Visits waiting to sync: {n}', allSynced: 'All synced', attention: 'Visits needing attention: {n}', actionsWaiting: 'Actions waiting to be sent: {n}',
    syncDetail: 'Details', today: 'Today', stepOf: 'Step {n} {step}', doneOf: '{done}/{total} done',
    checkinEarly: 'This visit is booked for {when}; it starts in {h} h {m} min. Is this the right customer and day?',
    checkinLate: 'This visit was booked for {when}, a day already past. Check in anyway?', checkinAnyway: 'Check in anyway', cancel: 'Cancel',
    draftUnsaved: 'Draft: kept on the phone, not saved yet', draftAnswer: 'Draft: recorded when you leave this field', draftCall: 'Draft: saved when you log the call',
    checks: 'Checks done', leads: 'Interest', product: 'Product', interest: 'Interest', leaflet: 'Leaflet given',
    addLead: 'Add lead', finishVisit: 'Finish visit', visitDone: 'Visit finished',
    update: 'A new version is ready', updateNow: 'Update', conflicts: 'Refused by the server', retry: 'Retry', discard: 'Discard this action',
    discardConfirm: 'Discard? This action will not reach the server.',
    status_new: 'New', status_scheduled: 'Scheduled', status_en_route: 'En route', status_on_site: 'On site',
    status_completed: 'Completed', status_closed: 'Closed', status_no_access: 'No access', status_needs_revisit: 'Needs revisit',
    status_cancelled: 'Cancelled', status_resolved_by_phone: 'Resolved by phone',
    next_order_cancelled: 'The dispatcher cancelled this order: stop work and call dispatch to confirm.',
    next_order_reassigned: 'This order was given to another technician: call dispatch.',
    next_illegal_transition: 'The order changed on the server: refresh and call dispatch.',
    next_fee_not_in_tariff: 'A fee is not in the tariff: correct the fees and retry.',
    next_visit_closed: 'The server has no visit in progress for this order: call dispatch.',
    next_order_not_scheduled: 'This order has no appointment yet: call dispatch to book one.',
    next_step_out_of_order: 'The steps are out of order on the server: sync the earlier steps first, then retry.',
    next_checklist_incomplete: 'The server finds required checklist items missing: complete them and retry.',
    next_attachment_not_found: 'A photo or signature has not uploaded yet: retry when online.',
    next_checklist_locked: 'This step is complete and its answers are locked: use “Correct” with a reason.',
    next_knock_protocol_incomplete: 'The knock protocol is incomplete (a round of {knock_sets_per_round} sets of {knocks_per_set} knocks every {knock_interval_seconds} s for {call_after_knocking_minutes} min, then a call): complete it and retry.',
    next_validation_error: 'Something recorded is invalid: correct it and retry.',
    next_scores_without_customer: 'The customer declined: record no scores for them, then retry.',
    next_server_error: 'The server could not process this action (the others synced). It is kept: call dispatch and retry later.',
    next_internal_error: 'The server failed on this action (the others synced). It is kept: call dispatch and retry later.',
    next_default: 'Read the reason, call dispatch if needed, then retry or discard.',
    mot_scale: { '-3': 'Caused a crisis', '-2': 'Failed expectations', '-1': 'Partly below expectations', 0: 'Neutral (no expectation)', 1: 'Met expectations', 2: 'Exceeded expectations', 3: 'Delighted the customer' },
    persist: 'Persistent storage requested',
    record_call: 'a logged call that reached the customer (or the set number of unanswered calls)',
    doorWithoutCall: 'The customer did not answer {n} calls: you may complete the call step without a conversation. Go to the door at the booked time, follow the knock protocol, and leave the Service Form if nobody is home.',
    record_arrive: 'the check-in', record_communicate: 'the saved conversation record',
    record_operate: 'the work record saved with the technician\'s signature', record_evaluate: "the customer's evaluation", record_help: 'the saved help record',
    logNoAnswer: 'Called: no answer', logReached: 'Called: reached',
  },
};

let lang = 'zh';

/** Add a screen's own strings ({zh: {...}, en: {...}}); the console adds its wording this way. */
export function addStrings(table) {
  for (const l of Object.keys(STRINGS)) Object.assign(STRINGS[l], table[l] || {});
}

/** Choose the screen language ('zh' or 'en'). */
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  if (globalThis.document) document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

/** Return the current screen language. */
export function getLang() {
  return lang;
}

/** Translate a screen key, filling {n}-style values. */
export function t(key, values = {}) {
  const s = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  return typeof s === 'string' ? s.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m)) : s;
}

/** Pick the current language's text from a {zh, en} object in flow or agenda data. */
export function L(obj) {
  if (obj == null) return '';
  if (typeof obj === 'string') return obj;
  return obj[lang] ?? obj.zh ?? '';
}

/** Say in words what the technician should do about a refused op, with the figures the refusal names. */
export function nextStepFor(result) {
  const key = `next_${result?.code}`;
  return key in STRINGS[lang] ? t(key, result?.errors?.protocol) : t('next_default');
}
