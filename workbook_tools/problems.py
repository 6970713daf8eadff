"""Problems found in returned files: one record type, one catalogue of codes and Vietnamese messages.

A message says what is wrong and what the provincial officer should do, in words they use.
Severity `error`: the file (or the value) is not used; `warning`: it is used, but look at it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING = "error", "warning"

# code: (severity, file-level?, message template)
CATALOGUE: dict[str, tuple[str, bool, str]] = {
    "lock_file": (WARNING, True, "Tệp khoá tạm của Excel (~$), không phải báo cáo; đã bỏ qua."),
    "empty_file": (ERROR, True, "Tệp rỗng (0 byte). Gửi lại sổ báo cáo đã lưu."),
    "legacy_xls": (ERROR, True, "Tệp định dạng Excel 97-2003 (.xls). Mở sổ gốc .xlsx, nhập số liệu và lưu lại dạng .xlsx."),
    "encrypted": (ERROR, True, "Tệp có đặt mật khẩu mở, không đọc được. Bỏ mật khẩu (File > Info > Protect Workbook) rồi gửi lại."),
    "corrupt": (ERROR, True, "Tệp bị hỏng, không mở được. Lưu lại sổ trong Excel và gửi lại."),
    "too_large": (ERROR, True, "Tệp quá lớn hoặc bị hỏng (một sheet giải nén vượt quá 32 MB), không đọc. Lưu lại sổ gốc trong Excel và gửi lại."),
    "read_crashed": (ERROR, True, "Đọc tệp «{expected}» làm tiến trình đọc dừng đột ngột ({found}); tệp này không được dùng, các tệp khác vẫn được tổng hợp. Mở sổ trong Excel, lưu lại rồi gửi lại."),
    "read_timeout": (ERROR, True, "Đọc tệp «{expected}» quá {found} giây nên đã dừng; tệp này không được dùng, các tệp khác vẫn được tổng hợp. Mở sổ trong Excel, lưu lại rồi gửi lại."),
    "read_failed": (ERROR, True, "Lỗi khi đọc tệp «{expected}» ({found}); tệp này không được dùng, các tệp khác vẫn được tổng hợp. Gửi tệp cho bộ phận kỹ thuật."),
    "not_workbook": (ERROR, True, "Không phải sổ Excel (.xlsx). Gửi lại đúng sổ báo cáo đã được gửi cho đơn vị."),
    "ods_file": (ERROR, True, "Tệp lưu dạng OpenDocument (.ods) của LibreOffice, không phải sổ Excel (.xlsx) đã gửi; chưa đọc. Mở tệp trong LibreOffice, chọn File > Save As (Lưu thành), kiểu tệp «Excel 2007-365 (.xlsx)», chọn «Use Excel 2007-365!» rồi gửi lại tệp .xlsx."),
    "folder_entry": (ERROR, True, "«{expected}» là một thư mục, không phải tệp sổ báo cáo (thường do giải nén tệp .zip đính kèm); chưa đọc. Chép tệp sổ .xlsx bên trong thư mục này ra thư mục báo cáo (thay cho thư mục) rồi tổng hợp lại."),
    "broken_link": (ERROR, True, "«{expected}» là lối tắt (liên kết) tới một tệp không còn tồn tại hoặc không truy cập được; chưa đọc. Chép chính tệp sổ báo cáo vào thư mục báo cáo (thay cho lối tắt) rồi tổng hợp lại."),
    "special_file": (ERROR, True, "«{expected}» không phải tệp thông thường (thiết bị hoặc ống dẫn dữ liệu); không mở, chưa đọc. Chép đúng tệp sổ báo cáo .xlsx vào thư mục báo cáo rồi tổng hợp lại."),
    "macros": (WARNING, True, "Tệp có chứa macro; macro không được chạy, chỉ đọc số liệu. Nên lưu lại dạng .xlsx."),
    "no_identity": (ERROR, True, "Không tìm thấy thông tin nhận diện (sheet _meta) — đây không phải sổ do BHXH Việt Nam gửi. Dùng đúng sổ đã được gửi."),
    "other_plan": (ERROR, True, "Sổ của kế hoạch {found}, không phải kế hoạch {expected} đang tổng hợp."),
    "identity_conflict": (ERROR, True, "Thông tin nhận diện mâu thuẫn: {expected}, nhưng {found}. Tệp không được dùng và không thay báo cáo của đơn vị nào; đề nghị đơn vị gửi lại đúng sổ đã được gửi cho mình (không sửa sheet _meta, không dùng sổ của đơn vị khác)."),
    "unknown_unit": (ERROR, True, "Mã đơn vị {found} không có trong kế hoạch {expected}."),
    "unexpected_unit": (WARNING, True, "Đơn vị {found} không có trong danh sách sổ đã gửi (manifest)."),
    "form_version": (WARNING, True, "Sổ theo mẫu phiên bản {found}, phiên bản hiện hành {expected}."),
    "sheet_missing": (ERROR, True, "Thiếu sheet «{expected}» (đã bị xoá). Dùng lại sổ gốc, không xoá sheet."),
    "keys_deleted": (ERROR, True, "Sheet «{expected}» vẫn còn nhưng mất cột A hoặc dòng 1 (các ô ẩn chứa mã khoá, trông như trống nên bị xoá), nên không đọc được số liệu theo khoá; tệp chưa được dùng. Hoàn tác thao tác xoá (hoặc nhập lại vào sổ gốc) rồi gửi lại; không xoá cột A, dòng 1."),
    "blank_return": (ERROR, True, "Sổ chưa nhập gì (không có ngày báo cáo, không có số liệu): có lẽ đã gửi nhầm sổ trắng; chưa tính là đơn vị đã báo cáo. Gửi lại sổ đã nhập số liệu và đã lưu."),
    "sheet_renamed": (WARNING, True, "Sheet «{expected}» đã bị đổi tên thành «{found}»; vẫn đọc được, đề nghị không đổi tên."),
    "sheet_repeated": (ERROR, True, "Hai sheet «{expected}» và «{found}» cùng là một mẫu; không biết số liệu ở sheet nào là đúng nên tệp chưa được dùng. Xoá sheet thừa (hoặc dùng lại sổ gốc) rồi gửi lại."),
    "key_repeated": (ERROR, True, "Khoá «{found}» có ở nhiều nơi trong sheet {expected}; không biết số liệu ở dòng/cột nào là đúng nên tệp chưa được dùng. Xoá dòng/cột chép thừa (hoặc dùng lại sổ gốc) rồi gửi lại."),
    "row_moved": (ERROR, True, "Dòng khoá «{found}» lại mang nội dung «{expected}» của dòng khác: các dòng đã bị sắp xếp hoặc di chuyển mà không kèm cột khoá (cột A), số liệu có thể bị tráo nên tệp chưa được dùng. Hoàn tác sắp xếp (hoặc dùng lại sổ gốc) rồi gửi lại."),
    "cell_misplaced": (ERROR, True, "Tệp bị hỏng: ô {found} được ghi bên trong dòng {expected} của sheet (tệp bị sửa ngoài Excel hoặc do phần mềm khác ghi; Excel cũng báo lỗi khi mở tệp này), nên không biết số liệu thuộc ô nào; tệp chưa được dùng. Mở sổ trong Excel, kiểm tra lại số liệu ở ô {found} và ở dòng {expected}, lưu lại rồi gửi lại."),
    "malformed_text": (WARNING, False, "Ô chứa «{found}», trong đó có mã ký tự sai (tham chiếu ký tự XML không hợp lệ, do phần mềm khác ghi hoặc tệp bị sửa ngoài Excel; Excel cũng báo lỗi khi mở tệp này); nội dung được giữ nguyên như đã ghi. Kiểm tra lại ô này, gõ lại nội dung đúng, lưu rồi gửi lại."),
    "key_missing": (ERROR, False, "Không tìm thấy dòng/cột {found} (đã bị xoá?). Dùng lại sổ gốc, không xoá dòng, cột."),
    "round_date_missing": (WARNING, False, "Chưa nhập ngày báo cáo (ô «Ngày báo cáo» trên Mẫu 01)."),
    "round_date_invalid": (ERROR, False, "Ngày báo cáo «{found}» không hợp lệ hoặc ngoài kỳ kế hoạch ({expected}); nhập dạng ngày/tháng/năm trong kỳ kế hoạch."),
    "text_number": (WARNING, False, "Số nhập dạng chữ «{found}», đã hiểu là {expected}. Nhập số liền, không gõ dấu cách, dấu nháy hay dấu phân cách hàng nghìn."),
    "not_a_number": (ERROR, False, "Giá trị «{found}» không phải là số; chưa được tính. Nhập số (ví dụ 1234)."),
    "not_whole": (ERROR, False, "Giá trị {found} không phải số nguyên; chưa được tính. Nhập số nguyên, liền không dấu phân cách hàng nghìn (gõ 4650, không gõ 4.650: máy đặt kiểu số tiếng Anh hiểu 4.650 là bốn phẩy sáu lăm)."),
    "negative": (ERROR, False, "Số âm ({found}) không hợp lệ; chưa được tính. Nhập số không âm."),
    "excel_error": (ERROR, False, "Ô nhập liệu chứa lỗi Excel «{found}»; chưa được tính. Xoá công thức, nhập số."),
    "formula_in_input": (ERROR, False, "Ô nhập liệu chứa công thức «{found}»; chưa được tính. Nhập trực tiếp số liệu, không dùng công thức."),
    "linked_cell_typed": (ERROR, False, "Ô này lấy số từ Mẫu 01 bằng công thức nhưng đã bị gõ đè thành {found}; số này không được tính (chỉ tính số ở {expected}). Nhập số vào đúng ô đó của Mẫu 01 rồi gửi lại; không gõ vào ô có công thức."),
    "formula_typed": (WARNING, False, "Ô tự tính ({expected}) của dòng «{row}», {when} đã bị gõ đè bằng {found}, mất công thức; {should}. Số gõ đè không được dùng (chỉ tổng hợp số ở các ô nhập liệu nền vàng). Nếu số liệu chưa đúng, sửa số của tháng ở ô nhập liệu của tháng đó; không gõ hay dán số vào ô có công thức."),
    "not_finite": (ERROR, False, "Ô nhập liệu chứa giá trị «{found}» (không phải số hữu hạn, thường do dán từ phần mềm khác); chưa được tính. Xoá ô và gõ lại số liệu."),
    "implausible_value": (ERROR, False, "Giá trị bất thường {found}: vượt mức tối đa có thể có ({expected}); chưa được tính. Kiểm tra lại ô này (gõ thừa chữ số, dán nhầm ô?)."),
    "thousands_typo": (WARNING, False, "Giá trị {found} nhỏ hơn khoảng 1000 lần so với {expected}. Có lẽ đã gõ «{meant}» (dấu chấm phân cách hàng nghìn) trên máy Excel đặt kiểu số tiếng Anh, nên bị hiểu thành {found}. Nếu đúng là {meant}, gõ lại liền không dấu phân cách: {digits}."),
    "absurd_value": (WARNING, False, "Giá trị {found} lớn bất thường (chỉ tiêu {expected}); đề nghị kiểm tra lại."),
    "missing_value": (WARNING, False, "Chưa nhập số thực hiện các tháng {found} (đến ngày báo cáo)."),
    "target_edited": (WARNING, False, "Chỉ tiêu bị sửa thành {found}; chỉ tiêu được giao là {expected} (dùng chỉ tiêu được giao)."),
    "duplicate_unit": (WARNING, True, "Đơn vị gửi nhiều sổ; dùng sổ {expected} (ngày báo cáo mới nhất), bỏ qua sổ này."),
    "daily_date_outside": (ERROR, True, "Ngày báo cáo «{found}» nằm ngoài đợt báo cáo hằng ngày ({expected}); báo cáo này không được dùng. Sửa ngày báo cáo rồi gửi lại."),
    "daily_time_missing": (WARNING, False, "Chưa nhập giờ gửi báo cáo ngày {found}; không xác định được đúng hạn (trước 16:00) hay không."),
    "daily_time_invalid": (ERROR, False, "Giờ gửi «{found}» không hợp lệ; nhập dạng giờ:phút theo 24 giờ (ví dụ 15:30) hoặc kèm buổi (3:30 chiều)."),
    "daily_time_early": (WARNING, False, "Giờ gửi «{found}» là trước 6 giờ sáng, được tính là đúng hạn; nếu ý là {expected} chiều thì sửa lại (ghi theo 24 giờ: {expected}, hoặc thêm «chiều») vì sau 16:00 là trễ hạn."),
    "daily_level_dropped": (WARNING, False, "Số lũy kế ({found}) thấp hơn ngày báo cáo trước ({expected}); số lũy kế không thể giảm, đề nghị kiểm tra lại."),
    "daily_other_campaign": (ERROR, True, "Sổ báo cáo ngày của đợt {found}, không phải đợt {expected} đang tổng hợp; sổ này không được dùng. Đơn vị nhập số liệu vào đúng sổ của đợt {expected} rồi gửi lại."),
    "daily_row_repeated": (WARNING, False, "Dòng ngày {found} giống hệt dòng ngày {expected} (cùng giờ gửi, cùng mọi số lũy kế): có thể dòng đã được sao chép; số liệu vẫn được dùng, đề nghị kiểm tra lại số liệu ngày {found}."),
    "daily_only_later_rows": (WARNING, False, "Sổ không có số liệu ngày {expected} nhưng có số liệu ở dòng ngày {found}, sau ngày tổng hợp: có thể đã nhập nhầm dòng. Số đó không được tính cho ngày {expected}; đơn vị kiểm tra lại và nhập vào đúng dòng của ngày báo cáo."),
    "daily_filled_late": (WARNING, False, "Dòng ngày {found} được nhập bổ sung sau khi ngày đó đã được tổng hợp mà chưa có số liệu của đơn vị; số liệu vẫn được dùng nhưng ngày {found} tính là nộp trễ, dù giờ ghi trên dòng là {expected}."),
    "daily_corrected": (WARNING, True, "Số liệu ngày {found} đã được đơn vị sửa lại; dùng số mới ({expected})."),
    "duplicate_conflict": (ERROR, True, "Có nhiều sổ cùng nhận là của đơn vị này, số liệu khác nhau, {found} (các sổ: {expected}); không biết sổ nào đúng nên chưa dùng sổ nào. Xác định sổ đúng rồi tổng hợp lại với tuỳ chọn --replace TÊN_TỆP, hoặc bỏ sổ sai khỏi thư mục."),
    "set_aside": (WARNING, True, "Đơn vị gửi nhiều sổ; theo chỉ định của người tổng hợp (--replace), dùng sổ {expected}, bỏ qua sổ này."),
    "replace_unused": (WARNING, True, "Đã chỉ định thay số liệu của đơn vị {found} (--replace) nhưng thư mục không có sổ dùng được của đơn vị này; số liệu đang giữ không đổi."),
    "older_round": (WARNING, True, "Báo cáo ngày {found} cũ hơn số liệu đang giữ (ngày {expected}); giữ số liệu đang giữ. Nếu báo cáo này mới đúng (ví dụ ngày đang giữ bị gõ nhầm), tổng hợp lại với tuỳ chọn --replace và tên tệp này."),
    "round_date_future": (ERROR, False, "Ngày báo cáo {found} sau {expected}: không thể có, có lẽ gõ nhầm tháng hoặc năm. Số liệu vẫn được dùng nhưng không ghi nhận ngày này (để báo cáo sửa lại sau đó thay được); sửa ngày báo cáo trong sổ và gửi lại."),
    "figures_after_date": (WARNING, False, "Có số liệu tháng {found} nhưng ngày báo cáo là {expected}; kiểm tra lại ngày báo cáo hoặc cột đã nhập."),
    "replaced": (WARNING, True, "Báo cáo mới (ngày {found}) thay số liệu của kỳ trước (ngày {expected})."),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place of one file."""

    file: str
    unit: str
    sheet: str
    cell: str
    indicator: str
    period: str
    severity: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form (the keys of the consolidation JSON contract)."""
        return asdict(self)

    @property
    def is_error(self) -> bool:
        """Errors reject the file (file-level) or drop the value (cell-level)."""
        return self.severity == ERROR


def problem(code: str, file: str, unit: str = "", *, sheet: str = "", cell: str = "", indicator: str = "",
            period: str = "", found: object = "", expected: object = "", **details: object) -> Problem:
    """Build a problem from the catalogue, its message filled with what was found and expected (and any details)."""
    severity, _file_level, template = CATALOGUE[code]
    message = template.format(found=found, expected=expected, **details)
    return Problem(file, unit, sheet, cell, indicator, period, severity, code, message)


def is_file_level(code: str) -> bool:
    """File-level errors reject the whole file; cell-level ones only drop a value."""
    return CATALOGUE[code][1]
